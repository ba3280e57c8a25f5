import type { Knex } from 'knex';

/**
 * When each session token was issued, so that tokens expire. A token issued before this
 * migration counts as issued when it runs: upgrading ends nobody's session at once.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('users', (table) => {
    table.bigInteger('token_issued_at').nullable();
  });
  await knex('users').whereNotNull('token_hash').update({ token_issued_at: Date.now() });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('users', (table) => {
    table.dropColumn('token_issued_at');
  });
}
