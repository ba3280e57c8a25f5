import type { Knex } from 'knex';
import { isPostgres } from '../is-postgres.js';

const COLUMNS = 'id, recipient_id, kind, sender_id, group_id, body, payload, created_at';
const KEY = "cast(printf('%010d,', c.user_id) as blob)";
/**
 * Each member's deliveries the log still holds, as rows of `offline_messages` would be: the
 * messages between their cursor and the latest one for them that list them (the delivery id is
 * the message's plus their position in its list), but those acknowledged above the cursor.
 */
const LOGGED = `select m.id + (instr(m.recipients, ${KEY}) - 1) / 11, c.user_id, 'group', m.sender_id, m.group_id, m.body, m.payload, m.created_at
  from group_cursors c join group_messages m on m.group_id = c.group_id and m.id > c.through and m.id <= c.until
  where instr(m.recipients, ${KEY}) > 0 and (c.acked = '[]' or m.id not in (select value from json_each(c.acked)))`;

/**
 * SQLite only: a group message is stored once, in `group_messages`, with the fixed-width list
 * of the members it is for (ten digits and a comma each, as a BLOB), and each member's
 * acknowledgements move a cursor of theirs in `group_cursors` (ADR 0020, the group log)
 * instead of deleting a row per member. A cursor holds the highest message up to which the
 * member has acknowledged all that lists them (`through`), those acknowledged above it
 * (`acked`, a JSON array), and the latest message that lists them (`until`). Rows of
 * `offline_messages` stay as they are: private messages, notices, and group messages queued
 * before this migration. PostgreSQL keeps one row per delivery (ADR 0008): nothing changes there.
 *
 * It also makes the view `queued_deliveries`: every delivery waiting, rows and log together, with
 * the columns of `offline_messages`, for an operator (or a test) reading the database directly.
 */
export async function up(knex: Knex): Promise<void> {
  if (isPostgres(knex)) return;
  // Every id of a delivery comes from the queue's sequence; make sure it has its row, so the writer can move it on.
  await knex.raw("insert into sqlite_sequence (name, seq) select 'offline_messages', coalesce(max(id), 0) from offline_messages where not exists (select 1 from sqlite_sequence where name = 'offline_messages')");
  await knex.raw(`create table group_messages (
    id integer primary key,
    group_id integer not null,
    sender_id integer,
    body text not null,
    payload text not null,
    created_at bigint not null,
    recipients blob not null)`);
  // With the sender, so that the count a cursor's move takes reads the index alone, not each message's list.
  await knex.raw('create index group_messages_group_id_id_sender_id_index on group_messages (group_id, id, sender_id)');
  await knex.raw(`create table group_cursors (
    user_id integer not null,
    group_id integer not null,
    through integer not null,
    until integer not null,
    acked text not null default '[]',
    primary key (user_id, group_id)) without rowid`);
  await knex.raw('create index group_cursors_group_id_index on group_cursors (group_id)');
  await knex.raw(`create view queued_deliveries as select ${COLUMNS} from offline_messages union all ${LOGGED}`);
}

/** Writes what the log still holds for each member back as rows of `offline_messages`, with the same ids. */
export async function down(knex: Knex): Promise<void> {
  if (isPostgres(knex)) return;
  await knex.raw(`insert into offline_messages (${COLUMNS}) ${LOGGED}`);
  await knex.raw('drop view queued_deliveries');
  await knex.schema.dropTable('group_cursors');
  await knex.schema.dropTable('group_messages');
}
