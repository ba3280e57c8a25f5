import type { Knex } from 'knex';

/**
 * What each send that carried a client message id stored, so that a retry with the same id
 * gets the first answer and stores nothing, across restarts. A table of its own rather than a
 * column of `offline_messages`: those rows go when acknowledged, and a group message has one
 * per member. Written in the transaction that stores the deliveries.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('client_message_ids', (table) => {
    table.integer('sender_id').unsigned().notNullable().references('id').inTable('users').onDelete('CASCADE');
    table.string('client_msg_id', 64).notNullable();
    // No foreign key: the delivery it names goes once acknowledged, its id stays the answer.
    table.integer('message_id').unsigned().nullable();
    table.integer('recipients').notNullable();
    // A JSON array of the ids of the recipients left out for a full queue.
    table.text('full').notNullable();
    table.bigInteger('sent_at').notNullable();
    table.unique(['sender_id', 'client_msg_id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('client_message_ids');
}
