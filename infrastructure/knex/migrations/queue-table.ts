import type { Knex } from 'knex';

const TABLE = 'offline_messages';

/** Which foreign keys `offline_messages` is built with. */
export interface QueueKeys {
  /** To the recipient, deleting a removed user's queue with them. */
  readonly recipient: boolean;
  /** To the sender and to the group, set null when either is deleted. */
  readonly senderAndGroup: boolean;
}

/**
 * Builds `offline_messages` again with the foreign keys `keys` names, on SQLite, where a
 * foreign key cannot be added or dropped in place. Rows are copied with their ids; a row a key
 * being added would refuse is dealt with as the key would have dealt with it (a sender or group
 * that is gone set null, a row for a recipient who is gone dropped). The highest id ever given
 * is carried over, so that ids acknowledged before are not handed out again.
 */
export async function rebuildSqliteQueue(knex: Knex, keys: QueueKeys): Promise<void> {
  const copy = `${TABLE}_rebuilt`;
  const sequence = (await knex('sqlite_sequence').where({ name: TABLE }).first('seq')) as { seq: number } | undefined;
  await knex.schema.createTable(copy, (table) => {
    table.increments('id');
    const recipient = table.integer('recipient_id').unsigned().notNullable();
    if (keys.recipient) recipient.references('id').inTable('users').onDelete('CASCADE');
    table.string('kind', 16).notNullable();
    const sender = table.integer('sender_id').unsigned().nullable();
    const group = table.integer('group_id').unsigned().nullable();
    if (keys.senderAndGroup) {
      sender.references('id').inTable('users').onDelete('SET NULL');
      group.references('id').inTable('groups').onDelete('SET NULL');
    }
    table.text('body').notNullable();
    table.text('payload').notNullable();
    table.bigInteger('created_at').notNullable();
  });
  const columns = 'id, recipient_id, kind, sender_id, group_id, body, payload, created_at';
  const senderAndGroup = keys.senderAndGroup
    ? '(select u.id from users u where u.id = m.sender_id), (select g.id from groups g where g.id = m.group_id)'
    : 'sender_id, group_id';
  const recipients = keys.recipient ? ' where m.recipient_id in (select id from users)' : '';
  await knex.raw(`insert into ${copy} (${columns}) select id, recipient_id, kind, ${senderAndGroup}, body, payload, created_at from ${TABLE} m${recipients}`);
  await knex.schema.dropTable(TABLE);
  await knex.schema.renameTable(copy, TABLE);
  await knex('sqlite_sequence').where({ name: TABLE }).del();
  if (sequence) await knex('sqlite_sequence').insert({ name: TABLE, seq: sequence.seq });
  await knex.schema.alterTable(TABLE, (table) => {
    table.index(['recipient_id', 'id']);
  });
}
