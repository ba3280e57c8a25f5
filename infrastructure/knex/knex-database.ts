import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import knex from 'knex';
import type { Knex } from 'knex';
import { migrationSource } from './migration-source.js';

const PRAGMAS = [
  'PRAGMA journal_mode = WAL',
  'PRAGMA foreign_keys = ON',
  'PRAGMA busy_timeout = 5000',
  // FULL: a commit is on disk before it returns, so a power cut loses nothing that was answered `ok`; group commit makes it cheap.
  'PRAGMA synchronous = FULL',
];

/** The part of a better-sqlite3 `Database` that the pool's set-up uses. */
interface SqliteConnection {
  exec(sql: string): void;
}

/**
 * Opens (creating it and its folder if needed) a SQLite database and brings its schema up
 * to date. One connection: SQLite has one writer anyway, it serialises transactions, and
 * `:memory:` needs exactly one.
 */
export async function openSqliteDatabase(filename: string): Promise<Knex> {
  if (filename !== ':memory:') mkdirSync(dirname(filename), { recursive: true });
  const db = knex({
    client: 'better-sqlite3',
    connection: { filename },
    useNullAsDefault: true,
    pool: {
      min: 1,
      max: 1,
      afterCreate: (connection: SqliteConnection, done: (error: Error | null, connection: SqliteConnection) => void) => {
        try {
          connection.exec(`${PRAGMAS.join(';\n')};`);
          done(null, connection);
        } catch (error) {
          done(error as Error, connection);
        }
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
