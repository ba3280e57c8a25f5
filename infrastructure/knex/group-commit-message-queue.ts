import type { Knex } from 'knex';
import type { Delivery, MessageQueue } from '../../application/ports/message-queue.js';
import type { MessageId, OfflineMessage, UserId } from '../../domain/index.js';
import { KnexMessageQueue } from './knex-message-queue.js';

interface Submitted<R> {
  resolve(result: R): void;
  reject(error: unknown): void;
}

type Write =
  | ({ readonly kind: 'enqueue'; readonly deliveries: readonly Delivery[] } & Submitted<OfflineMessage[]>)
  | ({ readonly kind: 'acknowledge'; readonly recipientId: UserId; readonly ids: readonly MessageId[] } & Submitted<MessageId[]>);

/**
 * Group commit for the message queue: deliveries and acknowledgements submitted from every
 * connection in the same event-loop turn, or while a commit is under way, share one
 * transaction, so one fsync covers them all. Each submitter hears back only once that
 * transaction has committed. If the shared transaction fails, each write is retried in a
 * transaction of its own, so a bad write (a delivery to a group deleted a moment earlier)
 * fails only its own submitter. Writes commit in submission order, so ids stay ascending.
 */
export class GroupCommitMessageQueue implements MessageQueue {
  private readonly direct: KnexMessageQueue;
  private waiting: Write[] = [];
  private draining = false;

  constructor(private readonly db: Knex) {
    this.direct = new KnexMessageQueue(db);
  }

  enqueue(deliveries: readonly Delivery[]): Promise<OfflineMessage[]> {
    if (deliveries.length === 0) return Promise.resolve([]);
    return new Promise((resolve, reject) => this.submit({ kind: 'enqueue', deliveries, resolve, reject }));
  }

  acknowledge(recipientId: UserId, ids: readonly MessageId[]): Promise<MessageId[]> {
    if (ids.length === 0) return Promise.resolve([]);
    return new Promise((resolve, reject) => this.submit({ kind: 'acknowledge', recipientId, ids, resolve, reject }));
  }

  pendingFor(recipientId: UserId, options?: { after?: MessageId; limit?: number }): Promise<OfflineMessage[]> {
    return this.direct.pendingFor(recipientId, options);
  }

  countFor(recipientId: UserId): Promise<number> {
    return this.direct.countFor(recipientId);
  }

  private submit(write: Write): void {
    this.waiting.push(write);
    if (this.draining) return;
    this.draining = true;
    // Gather what the rest of this turn submits (every request read from the sockets in it).
    setImmediate(() => void this.drain());
  }

  private async drain(): Promise<void> {
    while (this.waiting.length > 0) {
      const batch = this.waiting.splice(0);
      try {
        await this.commit(batch);
      } catch {
        for (const write of batch) await this.commit([write]).catch((error: unknown) => write.reject(error));
      }
    }
    this.draining = false;
  }

  /** Runs the writes in one transaction and, once it has committed, answers each. */
  private async commit(batch: readonly Write[]): Promise<void> {
    const enqueues = batch.filter((write) => write.kind === 'enqueue');
    const acknowledgements = batch.filter((write) => write.kind === 'acknowledge');
    const { queued, removed } = await this.db.transaction(async (trx) => {
      const queue = new KnexMessageQueue(trx);
      return {
        queued: await queue.enqueue(enqueues.flatMap((write) => write.deliveries)),
        removed: await queue.acknowledgeEach(acknowledgements),
      };
    });
    let offset = 0;
    for (const write of enqueues) write.resolve(queued.slice(offset, (offset += write.deliveries.length)));
    acknowledgements.forEach((write, i) => write.resolve(removed[i]!));
  }
}
