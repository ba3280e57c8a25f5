import type { Knex } from 'knex';
import type { Delivery } from '../../application/ports/message-queue.js';
import type { MessageId, OfflineMessage } from '../../domain/index.js';
import type { QueueBatch, QueueBatchResult, QueueBatchWriter } from './group-commit-message-queue.js';
import { toRow } from './knex-message-queue.js';

/** The part of a better-sqlite3 `Database` this writer uses. */
interface SqliteDatabase {
  prepare(sql: string): { run(...parameters: unknown[]): { changes: number; lastInsertRowid: number | bigint } };
  transaction<A extends unknown[], R>(work: (...args: A) => R): (...args: A) => R;
}

const INSERT = `insert into offline_messages (recipient_id, kind, sender_id, group_id, body, payload, created_at) values (?, ?, ?, ?, ?, ?, ?)`;
const DELETE = 'delete from offline_messages where id = ? and recipient_id = ?';

/**
 * The SQLite writer: the batch as one better-sqlite3 transaction of prepared single-row
 * statements on the connection Knex pools. Building a multi-row statement through Knex and
 * preparing it anew each time cost several times what SQLite itself spends on the rows.
 */
export function sqliteQueueBatchWriter(db: Knex): QueueBatchWriter {
  const prepared = new WeakMap<SqliteDatabase, (batch: QueueBatch) => QueueBatchResult>();
  const writerFor = (connection: SqliteDatabase) => {
    let write = prepared.get(connection);
    if (!write) {
      const insert = connection.prepare(INSERT);
      const remove = connection.prepare(DELETE);
      write = connection.transaction((batch: QueueBatch): QueueBatchResult => {
        let last: { message: Delivery['message']; row: ReturnType<typeof toRow> } | undefined;
        const queued = batch.deliveries.map((delivery): OfflineMessage => {
          // A group message is one object for all its recipients: its row is built once.
          if (last?.message !== delivery.message) last = { message: delivery.message, row: toRow(delivery) };
          const { row } = last;
          const { lastInsertRowid } = insert.run(delivery.recipientId, row.kind, row.sender_id, row.group_id, row.body, row.payload, row.created_at);
          return { id: Number(lastInsertRowid), recipientId: delivery.recipientId, message: delivery.message };
        });
        const removed = batch.acknowledgements.map(({ recipientId, ids }) => {
          const mine: MessageId[] = [];
          for (const id of new Set(ids)) if (remove.run(id, recipientId).changes > 0) mine.push(id);
          return mine.sort((a, b) => a - b);
        });
        return { queued, removed };
      });
      prepared.set(connection, write);
    }
    return write;
  };
  return async (batch) => {
    const connection = (await db.client.acquireConnection()) as SqliteDatabase;
    try {
      return writerFor(connection)(batch);
    } finally {
      await db.client.releaseConnection(connection);
    }
  };
}
