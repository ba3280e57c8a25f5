import type { Knex } from 'knex';
import { rebuildSqliteQueue } from './queue-table.js';
import { isPostgres } from '../is-postgres.js';

/**
 * `offline_messages` drops its last foreign key, to the recipient. The writers look every
 * recipient up once per batch of writes, with the senders (ADR 0006), so that a group message
 * can leave out a member removed meanwhile; the key then only repeated that check on every
 * row, 99 times over for one group message, a tenth of the storage work of a group delivery.
 * What it did besides, deleting a removed user's queue with them, the user repository now
 * does itself, in the same transaction as the user.
 */
export async function up(knex: Knex): Promise<void> {
  await rebuild(knex, false);
}

/** Puts the key back; rows for recipients the database no longer has go, as the key would have taken them. */
export async function down(knex: Knex): Promise<void> {
  await rebuild(knex, true);
}

const TABLE = 'offline_messages';

async function rebuild(knex: Knex, withReference: boolean): Promise<void> {
  if (!isPostgres(knex)) return rebuildSqliteQueue(knex, { recipient: withReference, senderAndGroup: false });
  if (withReference) await knex(TABLE).whereNotIn('recipient_id', knex('users').select('id')).delete();
  await knex.schema.alterTable(TABLE, (table) => {
    if (withReference) table.foreign('recipient_id').references('id').inTable('users').onDelete('CASCADE');
    else table.dropForeign(['recipient_id']);
  });
}
