import type { Knex } from 'knex';
import { withinQuota, type Delivery, type SendReceipt } from '../../application/ports/message-queue.js';
import { DomainError, type MessageId, type OfflineMessage, type UserId } from '../../domain/index.js';
import type { QueueBatch, QueueBatchResult, QueueBatchWriter } from './group-commit-message-queue.js';
import { clientMessageRow, CommitCounts, deliverable, receiptOf, referencesOf, repeatOf, toRow, type ClientMessageRow, type References } from './knex-message-queue.js';
import { groupLogOf, onConnection, SqliteGroupLog, type CommitLog, type SqliteDatabase, type SqliteStatement } from './sqlite-group-log.js';

const COLUMNS = '(id, recipient_id, kind, sender_id, group_id, body, payload, created_at)';
const VALUES_PER_ROW = 8;
/**
 * Most rows one insert of single-recipient messages (private ones) takes. One statement per
 * such message cost a statement's overhead and an update of `sqlite_sequence` each; 16 to a
 * statement took 41.8k instructions per message stored and acknowledged down to 38.7k
 * (`bench/private-writes.ts` under callgrind, ADR 0006).
 */
const ROWS_PER_INSERT = 16;
/** The insert of `rows` single-recipient rows, ids given. */
const insertRows = (rows: number) => `insert into offline_messages ${COLUMNS} values ${Array.from({ length: rows }, () => '(?, ?, ?, ?, ?, ?, ?, ?)').join(', ')}`;
/**
 * One message to many recipients (a group message) in one statement: its row built and its
 * values bound once, the recipients read from a JSON array. The ids are given here, as
 * `first + position`, so nothing needs to be read back.
 */
export const INSERT_FOR_EACH = `insert into offline_messages ${COLUMNS} select ? + key, value, ?, ?, ?, ?, ?, ? from json_each(?)`;
/**
 * The highest id the table ever gave (AUTOINCREMENT keeps it in sqlite_sequence, including
 * ids given by an insert): within the write transaction, the ids above it are this writer's.
 */
export const LAST_ID = "select seq from sqlite_sequence where name = 'offline_messages'";
export const DELETE = 'delete from offline_messages where id = ? and recipient_id = ?';
/** Moves the queue's sequence past the ids a batch reserved for group messages, which no insert into the table took. */
const RESERVE = "update sqlite_sequence set seq = ? where name = 'offline_messages' and seq < ?";
/**
 * Which of the users (senders and recipients), and of the groups, a batch names still exist
 * (`offline_messages` has no foreign keys, migrations 0004 and 0005, and a group message
 * leaves out a recipient removed meanwhile): one statement for all of them, the ids a JSON array.
 */
const USERS_AMONG = 'select id from users where id in (select value from json_each(?))';
const GROUPS_AMONG = 'select id from groups where id in (select value from json_each(?))';
const FIND_SENT = 'select message_id, recipients, full, sent_at from client_message_ids where sender_id = ? and client_msg_id = ?';
const RECORD_SENT = 'insert into client_message_ids (sender_id, client_msg_id, message_id, recipients, full, sent_at) values (?, ?, ?, ?, ?, ?)';

/**
 * The SQLite writer: the batch as one better-sqlite3 transaction of prepared statements on
 * the connection Knex pools: one per message to many recipients, one per 16 messages to one
 * (and one for the rest), one per id acknowledged. Every id is given here, counted up from the
 * highest the table gave, so a row may be written after one with a higher id. Building a
 * multi-row statement through Knex and preparing it anew each time cost several times what
 * SQLite itself spends on the rows.
 */
export function sqliteQueueBatchWriter(db: Knex): QueueBatchWriter {
  type Write = (batch: QueueBatch) => QueueBatchResult & { commitLog: CommitLog };
  const prepared = new WeakMap<SqliteDatabase, Write & { immediate: Write }>();
  const writerFor = (connection: SqliteDatabase) => {
    let write = prepared.get(connection);
    if (!write) {
      /** By row count, the multi-row inserts prepared so far. */
      const inserts: SqliteStatement[] = [];
      const insertOf = (rows: number) => (inserts[rows] ??= connection.prepare(insertRows(rows)));
      const insertForEach = connection.prepare(INSERT_FOR_EACH);
      const lastId = connection.prepare(LAST_ID);
      const reserve = connection.prepare(RESERVE);
      const log = groupLogOf(connection);
      const findSent = connection.prepare(FIND_SENT);
      const recordSent = connection.prepare(RECORD_SENT);
      const usersAmong = connection.prepare(USERS_AMONG).pluck();
      const groupsAmong = connection.prepare(GROUPS_AMONG).pluck();
      /** Those of `ids` the statement finds. */
      const among = (statement: SqliteStatement, ids: Set<number>) => (ids.size === 0 ? ids : new Set(statement.all(JSON.stringify([...ids])) as number[]));
      write = connection.transaction((batch: QueueBatch): QueueBatchResult & { commitLog: CommitLog } => {
        const counts = new CommitCounts(batch.counts);
        const countOf = (id: UserId) => {
          let known = counts.get(id);
          if (known === undefined) counts.set(id, (known = log.countFor(id)));
          return known;
        };
        /** The highest id given so far, read from the table once. */
        let last: MessageId | undefined;
        /** Gives the next `count` ids, in order; returns the first. */
        const takeIds = (count: number): MessageId => {
          const first = (last ?? ((lastId.get() as { seq: number } | undefined)?.seq ?? 0)) + 1;
          last = first + count - 1;
          return first;
        };
        const named = referencesOf(batch.sends.flatMap((send) => send.deliveries));
        const present: References = { users: among(usersAmong, named.users), groups: among(groupsAmong, named.groups) };
        /** The group messages stored in the log: their members' cursors are written once per commit. */
        const commitLog = SqliteGroupLog.commitLog();
        /**
         * The values of single-recipient rows not written yet, `VALUES_PER_ROW` to a row. Bound as
         * arguments, not as one array: better-sqlite3 reads an array's elements through V8's generic
         * property lookup, 4.2k of 42.2k instructions per message stored and acknowledged (ADR 0020).
         */
        const rows: unknown[] = [];
        const writeRows = () => {
          if (rows.length > 0) insertOf(rows.length / VALUES_PER_ROW).run(...rows);
          rows.length = 0;
        };
        /** Stores deliveries: a group message in the group log, other runs sharing one message in one statement, single rows 16 to a statement. */
        const store = (deliveries: readonly Delivery[]): OfflineMessage[] => {
          const queued: OfflineMessage[] = [];
          for (let start = 0; start < deliveries.length; ) {
            const { message } = deliveries[start]!;
            let end = start + 1;
            while (deliveries[end]?.message === message) end++;
            const row = toRow(deliveries[start]!);
            const { kind, sender_id, group_id, body, payload, created_at } = row;
            let recipients: UserId[];
            if (end - start === 1) {
              const id = takeIds(1);
              rows.push(id, row.recipient_id, kind, sender_id, group_id, body, payload, created_at);
              if (rows.length === ROWS_PER_INSERT * VALUES_PER_ROW) writeRows();
              queued.push({ id, recipientId: row.recipient_id, message });
            } else if (kind === 'group' && SqliteGroupLog.takes(sender_id, (recipients = deliveries.slice(start, end).map((d) => d.recipientId)))) {
              const first = takeIds(end - start);
              log.store(first, row, recipients, commitLog);
              for (let i = start; i < end; i++) queued.push({ id: first + (i - start), recipientId: deliveries[i]!.recipientId, message });
            } else {
              const first = takeIds(end - start);
              insertForEach.run(first, kind, sender_id, group_id, body, payload, created_at, JSON.stringify(deliveries.slice(start, end).map((d) => d.recipientId)));
              for (let i = start; i < end; i++) queued.push({ id: first + (i - start), recipientId: deliveries[i]!.recipientId, message });
            }
            start = end;
          }
          return queued;
        };
        const sent = batch.sends.map((message): SendReceipt | DomainError => {
          const { key } = message;
          const first = key && (findSent.get(key.senderId, key.clientMsgId) as ClientMessageRow | undefined);
          if (first) return repeatOf(first);
          // As a foreign key would, but refusing only this send: the rest of the batch is written all the same.
          const deliveries = deliverable(message.deliveries, present);
          if (deliveries instanceof DomainError) return deliveries;
          const { taken, full } = withinQuota(deliveries, message.maxQueued, countOf, (id) => counts.set(id, countOf(id) + 1));
          const receipt = receiptOf(message, store(taken), full);
          const row = clientMessageRow(message, receipt);
          if (row) recordSent.run(row.sender_id, row.client_msg_id, row.message_id, row.recipients, row.full, row.sent_at);
          return receipt;
        });
        // Before the acknowledgements, which must find every row this batch stored.
        writeRows();
        if (last !== undefined) reserve.run(last, last);
        log.listedIn(commitLog);
        const removed = log.acknowledge(batch.acknowledgements);
        counts.removed(batch.acknowledgements, removed);
        return { sent, removed, counts: counts.changed, commitLog };
      });
      prepared.set(connection, write);
    }
    return write;
  };
  return (batch) =>
    onConnection(db, (connection) => {
      // Immediate, for the reason Knex's transactions are (immediate-sqlite-client.ts): it reads before it writes.
      const { commitLog, ...result } = writerFor(connection).immediate(batch);
      groupLogOf(connection).committed(commitLog);
      return result;
    });
}
