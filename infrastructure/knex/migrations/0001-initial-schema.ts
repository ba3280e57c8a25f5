import type { Knex } from 'knex';

/**
 * The six tables of the seed schema. Times are integer milliseconds since the epoch, portable
 * across SQLite and PostgreSQL. `increments` is AUTOINCREMENT on SQLite: ids are never reused.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('users', (table) => {
    table.increments('id');
    table.string('username', 32).notNullable().unique();
    table.string('password_hash', 255).notNullable();
    table.boolean('is_admin').notNullable().defaultTo(false);
    table.string('token_hash').nullable().unique();
    table.integer('banned_by').unsigned().nullable().references('id').inTable('users').onDelete('SET NULL');
    table.bigInteger('banned_at').nullable();
    table.bigInteger('created_at').notNullable();
  });
  await knex.schema.createTable('groups', (table) => {
    table.increments('id');
    table.string('name', 128).notNullable();
    table.integer('creator_id').unsigned().notNullable().references('id').inTable('users').onDelete('CASCADE');
    table.integer('banned_by').unsigned().nullable().references('id').inTable('users').onDelete('SET NULL');
    table.bigInteger('banned_at').nullable();
    table.bigInteger('created_at').notNullable();
    table.unique(['name', 'creator_id']);
    table.index(['creator_id']);
  });
  await knex.schema.createTable('group_members', (table) => {
    table.integer('group_id').unsigned().notNullable().references('id').inTable('groups').onDelete('CASCADE');
    table.integer('user_id').unsigned().notNullable().references('id').inTable('users').onDelete('CASCADE');
    table.integer('role').notNullable().defaultTo(1);
    table.bigInteger('joined_at').notNullable();
    table.primary(['group_id', 'user_id']);
    table.index(['user_id']);
  });
  await knex.schema.createTable('user_friends', (table) => {
    table.integer('user_id').unsigned().notNullable().references('id').inTable('users').onDelete('CASCADE');
    table.integer('friend_id').unsigned().notNullable().references('id').inTable('users').onDelete('CASCADE');
    table.bigInteger('created_at').notNullable();
    table.primary(['user_id', 'friend_id']);
    table.index(['friend_id']);
  });
  await knex.schema.createTable('offline_messages', (table) => {
    table.increments('id');
    table.integer('recipient_id').unsigned().notNullable().references('id').inTable('users').onDelete('CASCADE');
    table.string('kind', 16).notNullable();
    table.integer('sender_id').unsigned().nullable().references('id').inTable('users').onDelete('SET NULL');
    // A notice that a group was deleted outlives the group: its name and creator are in `payload`.
    table.integer('group_id').unsigned().nullable().references('id').inTable('groups').onDelete('SET NULL');
    table.text('body').notNullable();
    table.text('payload').notNullable();
    table.bigInteger('created_at').notNullable();
    table.index(['recipient_id', 'id']);
  });
  await knex.schema.createTable('user_login_log', (table) => {
    table.increments('id');
    table.integer('user_id').unsigned().notNullable().references('id').inTable('users').onDelete('CASCADE');
    table.string('ip', 64).notNullable();
    table.bigInteger('logged_in_at').notNullable();
    table.index(['user_id', 'logged_in_at']);
  });
}

export async function down(knex: Knex): Promise<void> {
  for (const table of ['user_login_log', 'offline_messages', 'user_friends', 'group_members', 'groups', 'users']) {
    await knex.schema.dropTableIfExists(table);
  }
}
