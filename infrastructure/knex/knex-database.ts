import { closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import knex from 'knex';
import pg from 'pg';
import type { Knex } from 'knex';
import { DEFAULT_LOCK_TIMEOUT_MS, DEFAULT_MAX_DB_CONNECTIONS } from '../../application/ports/storage-error.js';
import { ImmediateSqliteClient } from './immediate-sqlite-client.js';
import { migrationSource } from './migration-source.js';

const pragmas = (busyTimeoutMs: number) => [
  // First: switching a new file to WAL takes a lock that another process opening it may hold.
  `PRAGMA busy_timeout = ${busyTimeoutMs}`,
  'PRAGMA journal_mode = WAL',
  'PRAGMA foreign_keys = ON',
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

/**
 * Creates the database file (and any missing folder) readable by its owner only, before
 * SQLite opens it: it holds password hashes and messages. SQLite gives the -wal and -shm files
 * it makes later the database file's own permissions. An existing file is left as it is.
 */
function createPrivately(filename: string): void {
  mkdirSync(dirname(filename), { recursive: true, mode: 0o700 });
  closeSync(openSync(filename, 'a', 0o600));
}

/**
 * Knex's own migration tables (its statements), made if missing in one transaction that waits
 * for the write lock. Knex makes them in separate statements, so two processes opening a new
 * file at once raced: one failed (`table knex_migrations already exists`), or both inserted a
 * row into the lock table, after which Knex could never take its lock.
 */
const MIGRATION_TABLES = [
  'create table if not exists `knex_migrations` (`id` integer not null primary key autoincrement, `name` varchar(255), `batch` integer, `migration_time` datetime)',
  'create table if not exists `knex_migrations_lock` (`index` integer not null primary key autoincrement, `is_locked` integer)',
  'insert into `knex_migrations_lock` (`is_locked`) select 0 where not exists (select 1 from `knex_migrations_lock`)',
];

/**
 * How long opening a SQLite file waits for another process that is migrating it (Knex's lock
 * refuses a second runner at once rather than wait): the migrations of a large queue take
 * seconds (0005 rebuilt a million rows in 1.9 s).
 */
export const SQLITE_MIGRATION_WAIT_MS = 60_000;
const MIGRATION_POLL_MS = 50;

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
  if (filename !== ':memory:') createPrivately(filename);
  const db = knex({
    client: ImmediateSqliteClient as unknown as Knex.Config['client'],
    connection: { filename },
    useNullAsDefault: true,
    pool: {
      min: 1,
      max: 1,
      afterCreate: (connection: SqliteConnection, done: (error: Error | null, connection: SqliteConnection) => void) => {
        try {
          connection.exec(`${pragmas(busyTimeoutMs).join(';\n')};`);
          if (filename !== ':memory:') connection.exec(`BEGIN IMMEDIATE;\n${MIGRATION_TABLES.join(';\n')};\nCOMMIT;`);
          done(null, connection);
        } catch (error) {
          done(error as Error, connection);
        }
      },
    },
  });
  return migrated(db, async () => {
    const deadline = Date.now() + SQLITE_MIGRATION_WAIT_MS;
    for (;;) {
      try {
        return await db.migrate.latest({ migrationSource });
      } catch (error) {
        // Another process is migrating the file: once it is done there is nothing left to do.
        if ((error as Error).name !== 'MigrationLocked' || Date.now() >= deadline) throw error;
        await sleep(MIGRATION_POLL_MS);
      }
    }
  });
}

/** Hides bound values from the database's errors, runs the migrations, and closes the database if they fail. */
async function migrated(db: Knex, migrate: () => Promise<unknown>): Promise<Knex> {
  db.on('query-error', (error: unknown, query: { sql?: unknown }) => withoutBindings(error, typeof query.sql === 'string' ? query.sql : '(statement not known)'));
  try {
    await migrate();
  } catch (error) {
    await db.destroy();
    throw error;
  }
  return db;
}

/** Any number: the key of the session-level advisory lock that serialises migrations across nodes. */
const MIGRATION_LOCK = 0x7061726c; // 'parl'

/**
 * Opens a pool of connections to the PostgreSQL database the URL names (libpq's
 * `postgres://user:password@host:port/db`; `?options=-c search_path=<schema>` picks a schema)
 * and brings its schema up to date. `timeoutMs` bounds both a wait for a row lock
 * (PostgreSQL's lock_timeout, then TRY_AGAIN) and a wait for a connection, so a request never
 * hangs on a database that is away (0 means at once: 1 ms, since `pg` reads 0 as "never").
 * Knex's pool (up to `maxConnections`, opened as needed) drops a connection the server ended
 * and opens another on the next request, so the node recovers by itself when the database is back.
 */
export async function openPostgresDatabase(url: string, timeoutMs = DEFAULT_LOCK_TIMEOUT_MS, maxConnections = DEFAULT_MAX_DB_CONNECTIONS): Promise<Knex> {
  const lockTimeoutMs = Math.max(1, Math.round(timeoutMs));
  const db = knex({
    client: 'pg',
    // `pg` takes lock_timeout and connectionTimeoutMillis too; Knex's type leaves them out.
    connection: { connectionString: url, lock_timeout: lockTimeoutMs, connectionTimeoutMillis: lockTimeoutMs } as Knex.PgConnectionConfig,
    acquireConnectionTimeout: lockTimeoutMs,
    pool: { min: 0, max: maxConnections },
    // A lost or refused connection reaches whoever asked, as STORAGE_UNAVAILABLE (logged by the session, one line), or is replaced unseen; Knex would also print it.
    log: { warn: (message: string) => void (/^(Acquire connection error|Connection Error): /.test(message) || process.emitWarning(message)) },
  });
  return migrated(db, async () => {
    // Nodes starting together would each try to migrate: Knex's own lock makes all but one fail, this makes them wait.
    // The lock is held on a connection of its own, outside the pool, which the migrations may need whole.
    const lock = new pg.Client({ connectionString: url, connectionTimeoutMillis: lockTimeoutMs });
    await lock.connect();
    try {
      await lock.query(`select pg_advisory_lock(${MIGRATION_LOCK})`);
      await db.migrate.latest({ migrationSource });
    } finally {
      // Ending the session lets go of its advisory lock.
      await lock.end();
    }
  });
}
