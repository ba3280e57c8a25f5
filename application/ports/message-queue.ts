import { DomainError, type ChatMessage, type MessageId, type OfflineMessage, type UserId } from '../../domain/index.js';

export interface Delivery {
  readonly recipientId: UserId;
  readonly message: ChatMessage;
}

/** The durable queue behind `offline_messages`: every delivery waits here until its recipient acknowledges it. */
export interface MessageQueue {
  /**
   * Stores the deliveries in one write and returns them with their ids, in the order
   * given. Ids grow with every call, so a recipient's queue is ordered by id. All or
   * nothing: if a delivery names a recipient or group that no longer exists, nothing is
   * stored and it throws `goneError` (UNKNOWN_GROUP or UNKNOWN_USER).
   * Isolation: once this resolves the deliveries are durable and visible to `pendingFor`;
   * ids are unique and ascending per call, but two concurrent calls may commit in either
   * order, so a reader may see a higher id before a lower one appears.
   */
  enqueue(deliveries: readonly Delivery[]): Promise<OfflineMessage[]>;
  /** What waits for the user, oldest first, at most `limit` of them after id `after`. */
  pendingFor(recipientId: UserId, options?: { after?: MessageId; limit?: number }): Promise<OfflineMessage[]>;
  /**
   * Removes those of `ids` that are queued for this user; returns the ids it removed,
   * ascending. Others' ids and ids already removed are ignored, so repeating a call is safe.
   */
  acknowledge(recipientId: UserId, ids: readonly MessageId[]): Promise<MessageId[]>;
  /** How many deliveries wait for the user. */
  countFor(recipientId: UserId): Promise<number>;
}

/** The refusal for deliveries that name a recipient or group that was removed meanwhile. */
export function goneError(deliveries: readonly Delivery[]): DomainError {
  return deliveries.some(({ message }) => message.kind === 'group')
    ? new DomainError('UNKNOWN_GROUP', 'that group does not exist (any more): run `groups` again')
    : new DomainError('UNKNOWN_USER', 'that user does not exist (any more)');
}
