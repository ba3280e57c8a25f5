import type { Knex } from 'knex';
import { rebuildSqliteQueue } from './queue-table.js';
import { isPostgres } from '../is-postgres.js';

/**
 * `offline_messages` keeps its foreign key to the recipient (a removed user's queue goes with
 * them) but no longer to the sender and the group. Nothing reads those two columns back (a
 * message's sender and group are in its payload), yet each was checked on every row inserted,
 * and, neither being indexed, deleting any user or group read the whole queue to set them
 * null: 100 ms a million queued rows, with every send waiting on the one writer. The writers
 * check each sender and group once per batch of writes instead (ADR 0006), and a removed sender's
 * or group's id stays in rows already queued; ids are never reused.
 *
 * On SQLite a foreign key cannot be dropped in place: the table is built again, its rows copied
 * with their ids, and the highest id ever given carried over, so that ids acknowledged
 * before the upgrade are not handed out again.
 */
export async function up(knex: Knex): Promise<void> {
  await rebuild(knex, false);
}

/** Puts the two foreign keys back; ids the database no longer has become null, as the keys would have made them. */
export async function down(knex: Knex): Promise<void> {
  await rebuild(knex, true);
}

const TABLE = 'offline_messages';

async function rebuild(knex: Knex, withReferences: boolean): Promise<void> {
  if (isPostgres(knex)) {
    if (withReferences) {
      await knex(TABLE).whereNotIn('sender_id', knex('users').select('id')).update({ sender_id: null });
      await knex(TABLE).whereNotIn('group_id', knex('groups').select('id')).update({ group_id: null });
    }
    await knex.schema.alterTable(TABLE, (table) => {
      if (withReferences) {
        table.foreign('sender_id').references('id').inTable('users').onDelete('SET NULL');
        table.foreign('group_id').references('id').inTable('groups').onDelete('SET NULL');
      } else {
        table.dropForeign(['sender_id']);
        table.dropForeign(['group_id']);
      }
    });
    return;
  }
  await rebuildSqliteQueue(knex, { recipient: true, senderAndGroup: withReferences });
}
