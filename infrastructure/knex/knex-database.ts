import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import knex from 'knex';
import type { Knex } from 'knex';
import { migrationSource } from './migration-source.js';

const PRAGMAS = [
  'PRAGMA journal_mode = WAL',
  'PRAGMA foreign_keys = ON',
  'PRAGMA busy_timeout = 5000',
  // Set after WAL: a commit then survives the process being killed; only a power cut can lose the last ones.
  'PRAGMA synchronous = NORMAL',
];

interface SqliteConnection {
  exec(sql: string, done: (error: Error | null) => void): void;
}

/**
 * Opens (creating it and its folder if needed) a SQLite database and brings its schema up
 * to date. One connection: SQLite has one writer anyway, it serialises transactions, and
 * `:memory:` needs exactly one.
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
      afterCreate: (connection: SqliteConnection, done: (error: Error | null, connection: SqliteConnection) => void) => {
        connection.exec(`${PRAGMAS.join(';\n')};`, (error) => done(error, connection));
      },
    },
  });
  try {
    await db.migrate.latest({ migrationSource });
  } catch (error) {
    await db.destroy();
    throw error;
  }
  return db;
}
