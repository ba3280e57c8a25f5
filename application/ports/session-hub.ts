import type { GroupId, OfflineMessage, UserId } from '../../domain/index.js';

/** Why the server ends a connection's session. */
export type KickReason = 'SESSION_REPLACED' | 'LOGGED_OUT' | 'USER_BANNED' | 'PASSWORD_CHANGED' | 'ACCOUNT_DELETED' | 'SERVER_SHUTDOWN' | 'TOO_SLOW';

/**
 * Whether a kick for this reason ends the user's presence at once, skipping the grace period:
 * a logout, a ban, a password change or a deleted account ends the session for good, so friends
 * are told now and listings say offline now. A takeover by a newer login (SESSION_REPLACED), a
 * slow reader (TOO_SLOW) or a server going away (SERVER_SHUTDOWN) may be followed by a
 * reconnect, so they leave like a dropped connection.
 */
export function endsPresenceAtOnce(reason: KickReason): boolean {
  return reason === 'LOGGED_OUT' || reason === 'USER_BANNED' || reason === 'PASSWORD_CHANGED' || reason === 'ACCOUNT_DELETED';
}

/** An attached connection, as the application sees it: somewhere to push to. */
export interface SessionSink {
  /** Pushes one queued delivery; the client acknowledges it by id. */
  push(delivery: OfflineMessage): void;
  /** Tells the connection why its session ends, then closes it. */
  kick(reason: KickReason, message: string): void;
  /** Resolves when the connection has room for more pushes, or will never take any: replaying a long backlog waits on it. */
  ready(): Promise<void>;
  /** True once this sink will take nothing more (its connection closed, or it was left or kicked): a replay stops reading. */
  readonly gone: boolean;
  /** Passes on a notice: not queued, not acknowledged, lost if the connection is not there to take it. */
  notify(notice: Notice): void;
}

/** A group's online count, as a presence change left it. */
export interface GroupPresence {
  readonly id: GroupId;
  readonly name: string;
  /** Members counted online (see SessionHub.onlineAmong). */
  readonly online: number;
  readonly total: number;
}

/**
 * What the server tells attached connections in passing, never queued: a friend came online or
 * went offline (`presence`), or a member of the recipient's groups did, which changed how many
 * of them are online (`group-presence`, naming only the groups, not the member).
 */
export type Notice =
  | { readonly type: 'presence'; readonly username: string; readonly online: boolean }
  | { readonly type: 'group-presence'; readonly groups: readonly GroupPresence[] };

/** A notice for one user, whichever of their connections are attached. */
export interface Notification {
  readonly userId: UserId;
  readonly notice: Notice;
}

/**
 * How long a user must stay without any attached connection before they are announced offline,
 * and until then still count online in `onlineAmong`: a reconnect, a takeover by a newer login
 * or a flaky network inside it announces nothing and no listing shows them offline.
 * 5 s covers a client reconnecting and logging in again after a dropped connection, with room
 * to spare, and is short enough for friends to trust.
 */
export const DEFAULT_PRESENCE_GRACE_MS = 5_000;

/**
 * Who is attached where, and the way to reach them. In one process it is a map; across
 * processes it routes through pub/sub. Every method is asynchronous so that a networked hub
 * can implement it; none of them may lose what the message queue holds, since the queue is
 * the truth and a push that goes astray is repeated at the next attach.
 */
export interface SessionHub {
  /** Registers the sink: from when this resolves, deliveries to the user reach it and the user counts as online. */
  attach(userId: UserId, sink: SessionSink): Promise<void>;
  /**
   * Forgets the sink. When it was the user's last, they are leaving: still online for the grace
   * period, then offline (see `onPresence`). Detaching an unknown sink does nothing.
   */
  detach(userId: UserId, sink: SessionSink): Promise<void>;
  /**
   * Those of `userIds` that are online, in one query however many are asked about: with at least
   * one sink attached, or leaving (their last sink went less than the grace period ago, and no
   * kick that ends presence at once came since). So a listing agrees with the `onPresence`
   * announcements: whoever was announced online and not yet offline counts online.
   */
  onlineAmong(userIds: readonly UserId[]): Promise<Set<UserId>>;
  /** Pushes each delivery to every sink of its recipient, in the order given; a recipient with no sink is skipped. */
  deliver(deliveries: readonly OfflineMessage[]): Promise<void>;
  /**
   * Ends the user's session everywhere: every sink but `keep` is detached and then kicked
   * with the reason, and every `onSessionEnded` listener hears of it, whether or not a sink
   * was attached. When the reason ends presence at once (`endsPresenceAtOnce`) and no sink is
   * left, the user is offline when this resolves, with no grace period (one under way from an
   * earlier detach is cut short), and announced offline if they were online; otherwise (a
   * takeover) the last sink leaves as a detach does. Resolves once the sinks here are kicked.
   */
  kick(userId: UserId, reason: KickReason, message: string, keep?: SessionSink): Promise<void>;
  /**
   * Calls `listener` when a user's presence changes, on one process only (the one that saw it
   * happen), debounced: `true` when their first connection attaches after they were announced
   * offline (or never announced), `false` once their last one has been gone for the grace period
   * (DEFAULT_PRESENCE_GRACE_MS). An attach inside the grace period cancels the offline: nothing
   * is announced either way, so a takeover by a newer login announces nothing. A kick that ends
   * presence at once announces `false` with no grace period.
   */
  onPresence(listener: (userId: UserId, online: boolean) => void): void;
  /** Passes each notice to every sink of its user, wherever attached; a user with no sink is skipped. Never throws: notices may be lost. */
  notify(notifications: readonly Notification[]): Promise<void>;
  /** Calls `listener` whenever a user's session ends (logout, newer login, ban, password change, deletion), so caches of that session can be dropped. */
  onSessionEnded(listener: (userId: UserId) => void): void;
}

/**
 * For a hub across processes: how long a process's users stay counted online after its last
 * sign of life, so one that dies does not leave them online for ever. Socket.IO's cluster
 * adapter beats every 5 s and gives a node up after 10 s; 15 s rides out a GC pause or a
 * Redis failover a little longer.
 */
export const DEFAULT_PRESENCE_TIMEOUT_MS = 15_000;

/** How long a client should wait before repeating a request that met an unreachable hub. */
export const HUB_RETRY_AFTER_MS = 1000;

/**
 * A networked hub cannot reach its broker (Redis is away): the request that needed it is
 * answered HUB_UNAVAILABLE and may be repeated after `retryAfterMs`. Nothing queued is lost.
 */
export class SessionHubError extends Error {
  override readonly name = 'SessionHubError';
  readonly code = 'HUB_UNAVAILABLE';
  readonly retryAfterMs = HUB_RETRY_AFTER_MS;

  /** `cause` is the client library's error, for the log. */
  constructor(message: string, options: { readonly cause?: unknown } = {}) {
    super(message, { cause: options.cause });
  }
}
