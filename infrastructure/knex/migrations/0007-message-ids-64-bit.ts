import type { Knex } from 'knex';
import { isPostgres } from '../is-postgres.js';

/**
 * Message ids get 64 bits on PostgreSQL, where `increments` made `offline_messages.id` a
 * 32-bit `serial`: after 2^31 − 1 deliveries (a group message is a row per member there)
 * every send would have failed. `client_message_ids.message_id`, which names the first of
 * them, follows. The id sequence keeps its place. Both tables are rewritten under a lock:
 * on a large queue, take the server down for it (docs/operations.md, Upgrading). SQLite's
 * INTEGER keys hold 64 bits already.
 */
export async function up(knex: Knex): Promise<void> {
  if (!isPostgres(knex)) return;
  await knex.raw('alter table offline_messages alter column id type bigint');
  await knex.raw('alter sequence if exists offline_messages_id_seq as bigint');
  await knex.raw('alter table client_message_ids alter column message_id type bigint');
}

/** Back to 32 bits: refused by PostgreSQL while an id past 2^31 − 1 is stored. */
export async function down(knex: Knex): Promise<void> {
  if (!isPostgres(knex)) return;
  await knex.raw('alter table client_message_ids alter column message_id type integer');
  await knex.raw('alter table offline_messages alter column id type integer');
  await knex.raw('alter sequence if exists offline_messages_id_seq as integer');
}
