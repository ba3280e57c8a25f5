import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import knex, { type Knex } from 'knex';
import { StaticMigrationSource } from './migration-source.js';

const PRAGMAS = [
  'PRAGMA journal_mode = WAL',
  'PRAGMA foreign_keys = ON',
  'PRAGMA busy_timeout = 5000',
  // In WAL mode a commit survives the process being killed; only a power cut can lose the last ones.
  'PRAGMA synchronous = NORMAL',
];

/**
 * Opens (creating if needed) a SQLite database and brings its schema up to date. One
 * connection: SQLite has one writer anyway, and `:memory:` needs exactly one.
 */
export async function openSqliteDatabase(filename: string): Promise<Knex> {
  if (filename !== ':memory:') mkdirSync(dirname(filename), { recursive: true });
  const db = knex({
    client: 'sqlite3',
    connection: { filename },
    useNullAsDefault: true,
    pool: {
      min: 1,
      max: 1,
      afterCreate: (connection: { exec(sql: string, done: (error: Error | null) => void): void }, done: (error: Error | null, connection: unknown) => void) => {
        connection.exec(`${PRAGMAS.join(';')};`, (error) => done(error, connection));
      },
    },
  });
  try {
    await db.migrate.latest({ migrationSource: new StaticMigrationSource() });
  } catch (error) {
    await db.destroy();
    throw error;
  }
  return db;
}
