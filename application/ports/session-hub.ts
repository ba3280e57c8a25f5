import type { OfflineMessage, UserId } from '../../domain/index.js';

/** Why the server ends a connection's session. */
export type KickReason = 'SESSION_REPLACED' | 'LOGGED_OUT' | 'USER_BANNED' | 'SERVER_SHUTDOWN';

/** An attached connection, as the application sees it: somewhere to push to. */
export interface SessionSink {
  /** Pushes one queued delivery; the client acknowledges it by id. */
  push(delivery: OfflineMessage): void;
  /** Tells the connection why its session ends, then closes it. */
  kick(reason: KickReason, message: string): void;
  /** Resolves when the connection has room for more pushes: replaying a long backlog waits on it. */
  ready(): Promise<void>;
}

/** Who is attached where. In one process it is a map; across processes it will route through pub/sub. */
export interface SessionHub {
  attach(userId: UserId, sink: SessionSink): void;
  /** Forgets the sink; the user goes offline when their last sink is detached. */
  detach(userId: UserId, sink: SessionSink): void;
  isOnline(userId: UserId): boolean;
  /** Pushes to every sink of the user; returns how many sinks it reached. */
  deliver(userId: UserId, delivery: OfflineMessage): number;
  /** Kicks every sink of the user except `keep`, detaching them; returns how many it kicked. */
  kick(userId: UserId, reason: KickReason, message: string, keep?: SessionSink): number;
}
