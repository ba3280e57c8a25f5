import type { ChatMessage, MessageId, OfflineMessage, UserId } from '../../domain/index.js';

export interface Delivery {
  readonly recipientId: UserId;
  readonly message: ChatMessage;
}

/** The durable queue behind `offline_messages`: every delivery waits here until its recipient acknowledges it. */
export interface MessageQueue {
  /**
   * Stores the deliveries in one write and returns them with their ids, in the order
   * given. Ids grow with every call, so a recipient's queue is ordered by id.
   */
  enqueue(deliveries: readonly Delivery[]): Promise<OfflineMessage[]>;
  /** What waits for the user, oldest first, at most `limit` of them after id `after`. */
  pendingFor(recipientId: UserId, options?: { after?: MessageId; limit?: number }): Promise<OfflineMessage[]>;
  /** Removes those of `ids` that are queued for this user; returns the ids it removed. Others' ids are ignored. */
  acknowledge(recipientId: UserId, ids: readonly MessageId[]): Promise<MessageId[]>;
  /** How many deliveries wait for the user. */
  countFor(recipientId: UserId): Promise<number>;
}
