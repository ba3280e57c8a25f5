import type { Knex } from 'knex';

/** Whether the database is PostgreSQL (several processes write it at once), not SQLite. */
export const isPostgres = (db: Knex | Knex.Transaction): boolean => db.client.config.client === 'pg';
