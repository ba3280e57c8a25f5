import type { Knex } from 'knex';
import { type Delivery, type MessageQueue, type MessageSend, type SendReceipt } from '../../application/ports/message-queue.js';
import { DomainError, type MessageId, type OfflineMessage, type UserId } from '../../domain/index.js';
import { CommitCounts, KnexMessageQueue } from './knex-message-queue.js';
import { sqliteQueueReads } from './sqlite-group-log.js';
import { isPostgres } from './is-postgres.js';

/** What one commit writes: sends from many senders and acknowledgements from many recipients. */
export interface QueueBatch {
  readonly sends: readonly MessageSend[];
  readonly acknowledgements: readonly { readonly recipientId: UserId; readonly ids: readonly MessageId[] }[];
  /**
   * How many deliveries wait per recipient, where known. The writer counts the others once
   * each inside its transaction and returns every count changed by the batch.
   */
  readonly counts: ReadonlyMap<UserId, number>;
}

/**
 * What one commit did: per send its receipt, or its refusal when it names a sender or group
 * that is gone (it stored nothing; the others were written all the same), per acknowledgement
 * the ids it removed (ascending), and the counts it changed.
 */
export interface QueueBatchResult {
  readonly sent: (SendReceipt | DomainError)[];
  readonly removed: MessageId[][];
  readonly counts: ReadonlyMap<UserId, number>;
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
      const counts = new CommitCounts(batch.counts);
      const sent = await queue.sendEach(batch.sends, counts);
      const removed = await queue.acknowledgeEach(batch.acknowledgements);
      counts.removed(batch.acknowledgements, removed);
      return { sent, removed, counts: counts.changed };
    });
}

interface Submitted<R> {
  resolve(result: R): void;
  reject(error: unknown): void;
}

type Write =
  | ({ readonly kind: 'send'; readonly send: MessageSend } & Submitted<SendReceipt>)
  | ({ readonly kind: 'acknowledge'; readonly recipientId: UserId; readonly ids: readonly MessageId[] } & Submitted<MessageId[]>);

/**
 * Group commit for the message queue: deliveries and acknowledgements submitted from every
 * connection in the same event-loop turn, or while a commit is under way, share one
 * transaction, so one fsync covers them all. Each submitter hears back only once that
 * transaction has committed. A send naming a sender or group that is gone, or a private
 * recipient removed a moment earlier, is refused by the writer on its own (a group message
 * leaves such a recipient out), the rest written all the same; if the shared transaction
 * fails all the same (an error of the database), each write is retried in a transaction of
 * its own, so a bad write fails only its own submitter. Writes commit in submission order, so ids stay ascending.
 * Acknowledgements with no delivery to ride along wait up to ACK_COMMIT_DELAY_MS for one.
 *
 * The quota (`MessageSend.maxQueued`) is checked against counts of waiting deliveries kept
 * here, in memory: each recipient's is counted once in the database, inside a commit, then
 * kept up to date by the commits (sends add, acknowledgements remove). Deliveries queued in a
 * unit of work (notices) are stored around this queue, so storage calls `recount` for their
 * recipients once such a unit has committed. With `sharedDatabase` (PostgreSQL, where
 * several server processes may write one database) nothing is kept: the writer counts each
 * recipient in the database inside every commit, under the queue lock KnexMessageQueue takes.
 */
export class GroupCommitMessageQueue implements MessageQueue {
  /** Where reads go: on SQLite, rows and the group log its writer keeps; elsewhere the rows. */
  private readonly direct: Pick<MessageQueue, 'pendingFor' | 'countFor' | 'countAll'>;
  private waiting: Write[] = [];
  private draining = false;
  private delayed: NodeJS.Timeout | undefined;
  /** Deliveries waiting per recipient, as of the last commit; a recipient absent is counted at its next send. */
  private readonly counts = new Map<UserId, number>();
  /** Recipients whose count a commit under way must not bring back. */
  private readonly recounting = new Set<UserId>();

  constructor(
    db: Knex,
    private readonly write: QueueBatchWriter = knexQueueBatchWriter(db),
    private readonly options: { readonly sharedDatabase?: boolean } = {},
  ) {
    this.direct = isPostgres(db) ? new KnexMessageQueue(db) : sqliteQueueReads(db);
  }

  async enqueue(deliveries: readonly Delivery[]): Promise<OfflineMessage[]> {
    if (deliveries.length === 0) return [];
    return (await this.send({ deliveries, maxQueued: Infinity, sentAt: deliveries[0]!.message.sentAt })).queued;
  }

  send(send: MessageSend): Promise<SendReceipt> {
    return new Promise((resolve, reject) => this.submit({ kind: 'send', send, resolve, reject }));
  }

  /** Forgets the counts of these recipients, to be counted again: deliveries reached them around this queue. */
  recount(recipientIds: readonly UserId[]): void {
    for (const id of recipientIds) {
      this.counts.delete(id);
      if (this.draining) this.recounting.add(id);
    }
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

  countAll(): Promise<number> {
    return this.direct.countAll();
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
        for (const write of batch) await this.commit([write]).catch((error: unknown) => write.reject(error));
      }
    }
    this.draining = false;
    this.recounting.clear();
  }

  /** Writes the batch in one transaction and, once it has committed, answers each submitter. */
  private async commit(batch: readonly Write[]): Promise<void> {
    const sends = batch.filter((write) => write.kind === 'send');
    const acknowledgements = batch.filter((write) => write.kind === 'acknowledge');
    const known = this.options.sharedDatabase ? new Map<UserId, number>() : this.counts;
    const { sent, removed, counts } = await this.write({ sends: sends.map((write) => write.send), acknowledgements, counts: known });
    if (!this.options.sharedDatabase) for (const [id, count] of counts) if (!this.recounting.has(id)) this.counts.set(id, count);
    sends.forEach((write, i) => {
      const result = sent[i]!;
      if (result instanceof DomainError) write.reject(result);
      else write.resolve(result);
    });
    acknowledgements.forEach((write, i) => write.resolve(removed[i]!));
  }
}
