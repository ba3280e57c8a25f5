import type { Knex } from 'knex';
import { goneError, type Delivery, type MessageQueue } from '../../application/ports/message-queue.js';
import type { MessageId, OfflineMessage, UserId } from '../../domain/index.js';
import { isForeignKeyViolation } from './is-unique-violation.js';
import { KnexMessageQueue } from './knex-message-queue.js';

/** What one commit writes: deliveries from many senders and acknowledgements from many recipients. */
export interface QueueBatch {
  readonly deliveries: readonly Delivery[];
  readonly acknowledgements: readonly { readonly recipientId: UserId; readonly ids: readonly MessageId[] }[];
}

/** What one commit did: the deliveries with their ids, in order, and per acknowledgement the ids it removed, ascending. */
export interface QueueBatchResult {
  readonly queued: OfflineMessage[];
  readonly removed: MessageId[][];
}

/**
 * Longest an acknowledgement waits for a commit to share. An `ack` need not be on disk at once
 * (if it is lost, the delivery comes again and the client drops it by id), so acknowledgements
 * alone do not pay for an fsync of their own while deliveries keep coming: at light load that
 * halves the commits, and every commit delays the sends behind it.
 */
export const ACK_COMMIT_DELAY_MS = 20;

/** Writes a batch in one transaction: all of it, or (throwing) none of it. */
export type QueueBatchWriter = (batch: QueueBatch) => Promise<QueueBatchResult>;

/** The portable writer: one Knex transaction, multi-row statements. */
export function knexQueueBatchWriter(db: Knex): QueueBatchWriter {
  return (batch) =>
    db.transaction(async (trx) => {
      const queue = new KnexMessageQueue(trx);
      return { queued: await queue.enqueue(batch.deliveries), removed: await queue.acknowledgeEach(batch.acknowledgements) };
    });
}

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
 * Acknowledgements with no delivery to ride along wait up to ACK_COMMIT_DELAY_MS for one.
 */
export class GroupCommitMessageQueue implements MessageQueue {
  private readonly direct: KnexMessageQueue;
  private waiting: Write[] = [];
  private draining = false;
  private delayed: NodeJS.Timeout | undefined;

  constructor(
    db: Knex,
    private readonly write: QueueBatchWriter = knexQueueBatchWriter(db),
  ) {
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

  /** Commits whatever waits, at once, and resolves when nothing is left to write: before the database is closed. */
  async settle(): Promise<void> {
    if (this.delayed) this.start();
    while (this.draining) await new Promise((resolve) => setImmediate(resolve));
  }

  private submit(write: Write): void {
    this.waiting.push(write);
    if (this.draining) return;
    if (write.kind === 'acknowledge') {
      this.delayed ??= setTimeout(() => this.start(), ACK_COMMIT_DELAY_MS);
      return;
    }
    this.start();
  }

  private start(): void {
    clearTimeout(this.delayed);
    this.delayed = undefined;
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
        for (const write of batch) await this.commit([write]).catch((error: unknown) => write.reject(refusalOf(write, error)));
      }
    }
    this.draining = false;
  }

  /** Writes the batch in one transaction and, once it has committed, answers each submitter. */
  private async commit(batch: readonly Write[]): Promise<void> {
    const enqueues = batch.filter((write) => write.kind === 'enqueue');
    const acknowledgements = batch.filter((write) => write.kind === 'acknowledge');
    const { queued, removed } = await this.write({ deliveries: enqueues.flatMap((write) => write.deliveries), acknowledgements });
    let offset = 0;
    for (const write of enqueues) write.resolve(queued.slice(offset, (offset += write.deliveries.length)));
    acknowledgements.forEach((write, i) => write.resolve(removed[i]!));
  }
}

function refusalOf(write: Write, error: unknown): unknown {
  return write.kind === 'enqueue' && isForeignKeyViolation(error) ? goneError(write.deliveries) : error;
}
