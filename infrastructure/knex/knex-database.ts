import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import knex from 'knex';
import type { Knex } from 'knex';
import { DEFAULT_LOCK_TIMEOUT_MS } from '../../application/ports/storage-error.js';
import { migrationSource } from './migration-source.js';

const pragmas = (busyTimeoutMs: number) => [
  'PRAGMA journal_mode = WAL',
  'PRAGMA foreign_keys = ON',
  `PRAGMA busy_timeout = ${busyTimeoutMs}`,
  // FULL: a commit is on disk before it returns, so a power cut loses nothing that was answered `ok`; group commit makes it cheap.
  'PRAGMA synchronous = FULL',
];

/**
 * Knex writes a failed statement into its error's message (and so its stack) with the values
 * bound in, message text included. This puts the statement back without them, keeping the
 * driver's own message after Knex's " - ", so what is logged names the statement, not the data.
 */
export function withoutBindings(error: unknown, sql: string): void {
  if (!(error instanceof Error)) return;
  const at = error.message.lastIndexOf(' - ');
  const message = `${sql} - ${at < 0 ? '(no driver message)' : error.message.slice(at + 3)}`;
  error.stack = `${error.name}: ${message}\n${(error.stack ?? '').split('\n').filter((line) => line.startsWith('    at ')).join('\n')}`;
  error.message = message;
}

/** The part of a better-sqlite3 `Database` that the pool's set-up uses. */
interface SqliteConnection {
  exec(sql: string): void;
}

/**
 * Opens (creating it and its folder if needed) a SQLite database and brings its schema up
 * to date. One connection: SQLite has one writer anyway, it serialises transactions, and
 * `:memory:` needs exactly one.
 */
export async function openSqliteDatabase(filename: string, busyTimeoutMs = DEFAULT_LOCK_TIMEOUT_MS): Promise<Knex> {
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
          connection.exec(`${pragmas(busyTimeoutMs).join(';\n')};`);
          done(null, connection);
        } catch (error) {
          done(error as Error, connection);
        }
      },
    },
  });
  db.on('query-error', (error: unknown, query: { sql?: unknown }) => withoutBindings(error, typeof query.sql === 'string' ? query.sql : '(statement not known)'));
  try {
    await db.migrate.latest({ migrationSource });
  } catch (error) {
    await db.destroy();
    throw error;
  }
  return db;
}
