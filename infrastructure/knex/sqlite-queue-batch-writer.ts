import type { Knex } from 'knex';
import { withinQuota, type Delivery, type SendReceipt } from '../../application/ports/message-queue.js';
import type { MessageId, OfflineMessage, UserId } from '../../domain/index.js';
import type { QueueBatch, QueueBatchResult, QueueBatchWriter } from './group-commit-message-queue.js';
import { clientMessageRow, CommitCounts, receiptOf, repeatOf, toRow, type ClientMessageRow } from './knex-message-queue.js';

/** The part of a better-sqlite3 `Database` this writer uses. */
export interface SqliteDatabase {
  prepare(sql: string): {
    run(...parameters: unknown[]): { changes: number; lastInsertRowid: number | bigint };
    get(...parameters: unknown[]): unknown;
  };
  transaction<A extends unknown[], R>(work: (...args: A) => R): (...args: A) => R;
}

const INSERT = 'insert into offline_messages (recipient_id, kind, sender_id, group_id, body, payload, created_at) values (?, ?, ?, ?, ?, ?, ?)';
/**
 * One message to many recipients (a group message) in one statement: its row built and its
 * values bound once, the recipients read from a JSON array. The ids are given here, as
 * `first + position`, so nothing needs to be read back.
 */
export const INSERT_FOR_EACH =
  'insert into offline_messages (id, recipient_id, kind, sender_id, group_id, body, payload, created_at) select ? + key, value, ?, ?, ?, ?, ?, ? from json_each(?)';
/**
 * The highest id the table ever gave (AUTOINCREMENT keeps it in sqlite_sequence, including
 * ids given by an insert): within the write transaction, the ids above it are this writer's.
 */
export const LAST_ID = "select seq from sqlite_sequence where name = 'offline_messages'";
export const DELETE = 'delete from offline_messages where id = ? and recipient_id = ?';
const COUNT = 'select count(*) as count from offline_messages where recipient_id = ?';
const FIND_SENT = 'select message_id, recipients, full, sent_at from client_message_ids where sender_id = ? and client_msg_id = ?';
const RECORD_SENT = 'insert into client_message_ids (sender_id, client_msg_id, message_id, recipients, full, sent_at) values (?, ?, ?, ?, ?, ?)';

/**
 * The SQLite writer: the batch as one better-sqlite3 transaction of prepared statements on
 * the connection Knex pools, one per message stored (whatever its recipients) and one per id
 * acknowledged. Building a multi-row statement through Knex and preparing it anew each time
 * cost several times what SQLite itself spends on the rows.
 */
export function sqliteQueueBatchWriter(db: Knex): QueueBatchWriter {
  const prepared = new WeakMap<SqliteDatabase, (batch: QueueBatch) => QueueBatchResult>();
  const writerFor = (connection: SqliteDatabase) => {
    let write = prepared.get(connection);
    if (!write) {
      const insert = connection.prepare(INSERT);
      const insertForEach = connection.prepare(INSERT_FOR_EACH);
      const lastId = connection.prepare(LAST_ID);
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
        /** The highest id given so far, read once a statement needs it. */
        let last: MessageId | undefined;
        /** Stores deliveries, one statement per run of them that share one message. */
        const store = (deliveries: readonly Delivery[]): OfflineMessage[] => {
          const queued: OfflineMessage[] = [];
          for (let start = 0; start < deliveries.length; ) {
            const { message } = deliveries[start]!;
            let end = start + 1;
            while (deliveries[end]?.message === message) end++;
            const row = toRow(deliveries[start]!);
            const { kind, sender_id, group_id, body, payload, created_at } = row;
            if (end - start === 1) {
              last = Number(insert.run(row.recipient_id, kind, sender_id, group_id, body, payload, created_at).lastInsertRowid);
              queued.push({ id: last, recipientId: row.recipient_id, message });
            } else {
              last ??= (lastId.get() as { seq: number } | undefined)?.seq ?? 0;
              insertForEach.run(last + 1, kind, sender_id, group_id, body, payload, created_at, JSON.stringify(deliveries.slice(start, end).map((d) => d.recipientId)));
              for (let i = start; i < end; i++) queued.push({ id: ++last, recipientId: deliveries[i]!.recipientId, message });
            }
            start = end;
          }
          return queued;
        };
        const sent = batch.sends.map((message): SendReceipt => {
          const { key } = message;
          const first = key && (findSent.get(key.senderId, key.clientMsgId) as ClientMessageRow | undefined);
          if (first) return repeatOf(first);
          const { taken, full } = withinQuota(message, countOf, (id) => counts.set(id, countOf(id) + 1));
          const receipt = receiptOf(message, store(taken), full);
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
