import type { Knex } from 'knex';
import { withinQuota, type Delivery, type SendReceipt } from '../../application/ports/message-queue.js';
import type { MessageId, OfflineMessage, UserId } from '../../domain/index.js';
import type { QueueBatch, QueueBatchResult, QueueBatchWriter } from './group-commit-message-queue.js';
import { clientMessageRow, CommitCounts, receiptOf, repeatOf, toRow, type ClientMessageRow } from './knex-message-queue.js';

/** The part of a better-sqlite3 `Database` this writer uses. */
interface SqliteDatabase {
  prepare(sql: string): {
    run(...parameters: unknown[]): { changes: number; lastInsertRowid: number | bigint };
    get(...parameters: unknown[]): unknown;
  };
  transaction<A extends unknown[], R>(work: (...args: A) => R): (...args: A) => R;
}

const INSERT = `insert into offline_messages (recipient_id, kind, sender_id, group_id, body, payload, created_at) values (?, ?, ?, ?, ?, ?, ?)`;
const DELETE = 'delete from offline_messages where id = ? and recipient_id = ?';
const COUNT = 'select count(*) as count from offline_messages where recipient_id = ?';
const FIND_SENT = 'select message_id, recipients, full, sent_at from client_message_ids where sender_id = ? and client_msg_id = ?';
const RECORD_SENT = 'insert into client_message_ids (sender_id, client_msg_id, message_id, recipients, full, sent_at) values (?, ?, ?, ?, ?, ?)';

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
      const count = connection.prepare(COUNT);
      const findSent = connection.prepare(FIND_SENT);
      const recordSent = connection.prepare(RECORD_SENT);
      write = connection.transaction((batch: QueueBatch): QueueBatchResult => {
        const counts = new CommitCounts(batch.counts);
        const countOf = (id: UserId) => {
          let known = counts.get(id);
          if (known === undefined) counts.set(id, (known = (count.get(id) as { count: number }).count));
          return known;
        };
        let last: { message: Delivery['message']; row: ReturnType<typeof toRow> } | undefined;
        const store = (delivery: Delivery): OfflineMessage => {
          // A group message is one object for all its recipients: its row is built once.
          if (last?.message !== delivery.message) last = { message: delivery.message, row: toRow(delivery) };
          const { row } = last;
          const { lastInsertRowid } = insert.run(delivery.recipientId, row.kind, row.sender_id, row.group_id, row.body, row.payload, row.created_at);
          return { id: Number(lastInsertRowid), recipientId: delivery.recipientId, message: delivery.message };
        };
        const sent = batch.sends.map((message): SendReceipt => {
          const { key } = message;
          const first = key && (findSent.get(key.senderId, key.clientMsgId) as ClientMessageRow | undefined);
          if (first) return repeatOf(first);
          const { taken, full } = withinQuota(message, countOf, (id) => counts.set(id, countOf(id) + 1));
          const receipt = receiptOf(message, taken.map(store), full);
          const row = clientMessageRow(message, receipt);
          if (row) recordSent.run(row.sender_id, row.client_msg_id, row.message_id, row.recipients, row.full, row.sent_at);
          return receipt;
        });
        const removed = batch.acknowledgements.map(({ recipientId, ids }) => {
          const mine: MessageId[] = [];
          for (const id of new Set(ids)) if (remove.run(id, recipientId).changes > 0) mine.push(id);
          return mine.sort((a, b) => a - b);
        });
        counts.removed(batch.acknowledgements, removed);
        return { sent, removed, counts: counts.changed };
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
