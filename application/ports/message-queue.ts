import { DomainError, type ChatMessage, type MessageId, type OfflineMessage, type UserId } from '../../domain/index.js';

export interface Delivery {
  readonly recipientId: UserId;
  readonly message: ChatMessage;
}

/** Most characters in a client message id. */
export const CLIENT_MSG_ID_MAX_LENGTH = 64;

/** A sender's own id for one message: a retry of the message carries the same. */
export interface ClientMessageKey {
  readonly senderId: UserId;
  /** 1 to CLIENT_MSG_ID_MAX_LENGTH characters, chosen by the client. */
  readonly clientMsgId: string;
}

/** One message a user sends: its deliveries, the client's id for it, and the recipients' quota. */
export interface MessageSend {
  /** One per recipient, all of the same message. */
  readonly deliveries: readonly Delivery[];
  readonly key?: ClientMessageKey | undefined;
  /** Most deliveries one recipient may have waiting: a recipient already at it is left out. */
  readonly maxQueued: number;
  /** The message's time, kept for the answer to a repeat. */
  readonly sentAt: Date;
}

/** What a send stored; for a repeat of a stored send, what the first one stored. */
export interface SendReceipt {
  /** Set on a repeat: nothing was stored now. */
  readonly repeat: boolean;
  /** The deliveries stored now, in the order given; empty on a repeat. */
  readonly queued: OfflineMessage[];
  /** The id of the first delivery the send stored, or null if it stored none. */
  readonly firstId: MessageId | null;
  /** How many deliveries it stored. */
  readonly recipients: number;
  /** The recipients left out because their queue was full, in the order given. */
  readonly full: UserId[];
  readonly sentAt: Date;
}

/** The durable queue behind `offline_messages`: every delivery waits here until its recipient acknowledges it. */
export interface MessageQueue {
  /**
   * Stores the deliveries in one write and returns them with their ids, in the order
   * given. Ids grow with every call, so a recipient's queue is ordered by id. All or
   * nothing: if a delivery names a sender, group or recipient that no longer exists, nothing
   * is stored and it throws `goneError` (UNKNOWN_GROUP or UNKNOWN_USER), except that a group
   * message or a notice leaves out a recipient removed meanwhile (`withoutRemoved`). No quota applies: this
   * is for notices, which follow from actions that are themselves bounded.
   * Isolation: once this resolves the deliveries are durable and visible to `pendingFor`;
   * ids are unique and ascending per call, but two concurrent calls may commit in either
   * order, so a reader may see a higher id before a lower one appears.
   */
  enqueue(deliveries: readonly Delivery[]): Promise<OfflineMessage[]>;
  /**
   * Stores a message a user sent, as `enqueue` does, with two rules the storage decides
   * atomically with the write, whatever else commits alongside:
   * - a send whose `key` (sender and client message id) was used before stores nothing and
   *   answers the receipt of the first (kept durably, across restarts); the id is recorded with the first
   *   send that stored at least one delivery;
   * - a message naming a sender or group that no longer exists is refused with `goneError`;
   * - a recipient whose account was removed meanwhile is left out of a group message or a
   *   notice (neither stored nor named in `full`); a private message to one is refused
   *   (`withoutRemoved`);
   * - a recipient with `maxQueued` deliveries waiting is left out and named in `full`.
   */
  send(message: MessageSend): Promise<SendReceipt>;
  /** What waits for the user, oldest first, at most `limit` of them after id `after`. */
  pendingFor(recipientId: UserId, options?: { after?: MessageId; limit?: number }): Promise<OfflineMessage[]>;
  /**
   * Removes those of `ids` that are queued for this user; returns the ids it removed,
   * ascending. Others' ids and ids already removed are ignored, so repeating a call is safe.
   */
  acknowledge(recipientId: UserId, ids: readonly MessageId[]): Promise<MessageId[]>;
  /** How many deliveries wait for the user. */
  countFor(recipientId: UserId): Promise<number>;
  /** How many deliveries wait, for every user together: the queue depth an operator watches. */
  countAll(): Promise<number>;
}

/** The refusal for deliveries that name a recipient or group that was removed meanwhile. */
export function goneError(deliveries: readonly Delivery[]): DomainError {
  return deliveries.some(({ message }) => message.kind === 'group')
    ? new DomainError('UNKNOWN_GROUP', 'that group does not exist (any more): run `groups` again')
    : new DomainError('UNKNOWN_USER', 'that user does not exist (any more)');
}

/**
 * The rule for recipients whose account was removed while a message was on its way (deleted
 * between the look-up of a group's members and the write): a group message or a notice leaves
 * them out, as it would have a moment later, and goes to the others; a private message to one
 * is refused with `goneError`, nothing stored. `exists` tells whether a user is still there.
 * Gives the deliveries to store (the same array when none is gone), or the refusal. Shared by
 * every adapter so that the rule is one.
 */
export function withoutRemoved(deliveries: readonly Delivery[], exists: (userId: UserId) => boolean): readonly Delivery[] | DomainError {
  let kept: Delivery[] | undefined;
  for (let i = 0; i < deliveries.length; i++) {
    const delivery = deliveries[i]!;
    if (exists(delivery.recipientId)) {
      kept?.push(delivery);
    } else if (delivery.message.kind === 'private') {
      return goneError([delivery]);
    } else {
      kept ??= deliveries.slice(0, i);
    }
  }
  return kept ?? deliveries;
}

/**
 * Which of a send's deliveries go in: those whose recipient has fewer than `maxQueued` waiting,
 * counted with what the send itself adds. `countOf` gives a recipient's current count;
 * `stored` is told of each delivery taken. Shared by every adapter so that the rule is one.
 */
export function withinQuota(
  deliveries: readonly Delivery[],
  maxQueued: number,
  countOf: (recipientId: UserId) => number,
  stored: (recipientId: UserId) => void,
): { taken: Delivery[]; full: UserId[] } {
  const taken: Delivery[] = [];
  const full: UserId[] = [];
  for (const delivery of deliveries) {
    if (countOf(delivery.recipientId) >= maxQueued) {
      full.push(delivery.recipientId);
    } else {
      taken.push(delivery);
      stored(delivery.recipientId);
    }
  }
  return { taken, full };
}
