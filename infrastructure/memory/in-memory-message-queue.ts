import type { Delivery, MessageQueue } from '../../application/ports/message-queue.js';
import type { MessageId, OfflineMessage, UserId } from '../../domain/index.js';
import type { MemoryStore } from './memory-store.js';

export class InMemoryMessageQueue implements MessageQueue {
  constructor(private readonly store: MemoryStore) {}

  async enqueue(deliveries: readonly Delivery[]): Promise<OfflineMessage[]> {
    const queued = deliveries.map(({ recipientId, message }) => ({ id: ++this.store.sequences.messages, recipientId, message }));
    this.store.messages.push(...queued);
    return queued;
  }

  async pendingFor(recipientId: UserId, options: { after?: MessageId; limit?: number } = {}): Promise<OfflineMessage[]> {
    const after = options.after ?? 0;
    const pending = this.store.messages.filter((m) => m.recipientId === recipientId && m.id > after);
    return pending.slice(0, options.limit ?? pending.length);
  }

  async acknowledge(recipientId: UserId, ids: readonly MessageId[]): Promise<MessageId[]> {
    const wanted = new Set(ids);
    const removed = this.store.messages.filter((m) => m.recipientId === recipientId && wanted.has(m.id)).map((m) => m.id);
    const gone = new Set(removed);
    this.store.messages = this.store.messages.filter((m) => !gone.has(m.id));
    return removed;
  }

  async countFor(recipientId: UserId): Promise<number> {
    return this.store.messages.filter((m) => m.recipientId === recipientId).length;
  }
}
