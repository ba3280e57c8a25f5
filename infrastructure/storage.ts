import type { Repositories, UnitOfWork } from '../application/ports/unit-of-work.js';
import { CachingUnitOfWork, cachingRepositories, DEFAULT_CACHE_CAPACITY, RepositoryCaches } from './caching/caching-repositories.js';
import { GroupCommitMessageQueue, knexQueueBatchWriter } from './knex/group-commit-message-queue.js';
import { openPostgresDatabase, openSqliteDatabase } from './knex/knex-database.js';
import { sqliteQueueBatchWriter } from './knex/sqlite-queue-batch-writer.js';
import { KnexUnitOfWork, knexRepositories } from './knex/knex-unit-of-work.js';
import { InMemoryUnitOfWork, memoryRepositories } from './memory/in-memory-unit-of-work.js';
import { MemoryStore } from './memory/memory-store.js';
import { withStorageErrors } from './storage-errors.js';
import { StorageError } from '../application/ports/storage-error.js';

/**
 * Where the data lives: `sqlite:<path>` (`sqlite::memory:` for a throwaway database), `postgres://…`,
 * or `memory`: the reference adapters, for tests and trials, which copy the whole store for each
 * unit of work and scan the queue on every call, so they slow down as they fill (under S1's load,
 * about three times the server CPU of a SQLite file per message).
 */
export type StorageUrl = `sqlite:${string}` | `postgres://${string}` | `postgresql://${string}` | 'memory';

/** An open storage backend: its repositories, its transactions, and how to let go of it. */
export interface Storage {
  readonly repositories: Repositories;
  readonly unitOfWork: UnitOfWork;
  /** The lookup caches in front of the repositories, when they are on. */
  readonly caches?: RepositoryCaches;
  close(): Promise<void>;
}

type StorageLocation = { kind: 'sqlite'; filename: string } | { kind: 'postgres'; url: string } | { kind: 'memory' };

/** Reads a storage URL; anything but `sqlite:<path>`, `postgres://…` and `memory` is refused with a message saying what works. */
export function parseStorageUrl(raw: string): StorageLocation {
  const url = raw.trim();
  if (url === 'memory') return { kind: 'memory' };
  if (url.startsWith('sqlite:') && url.length > 'sqlite:'.length) return { kind: 'sqlite', filename: url.slice('sqlite:'.length) };
  if (/^postgres(ql)?:\/\//.test(url)) {
    if (!URL.canParse(url) || new URL(url).hostname === '') {
      throw new Error(`bad PostgreSQL URL "${raw}": use postgres://user[:password]@host[:port]/database`);
    }
    return { kind: 'postgres', url };
  }
  throw new Error(`unknown storage "${raw}": use sqlite:<path>, postgres://user@host:port/database or memory`);
}

export interface StorageOptions {
  /**
   * Entries per hot-path lookup cache (users by id, name and token; friendships; groups and
   * their members); 0 turns the caches off and every lookup reads the database.
   */
  readonly cacheCapacity?: number;
  /**
   * How long a statement waits for a lock held elsewhere before answering TRY_AGAIN (SQLite's
   * busy timeout, PostgreSQL's lock_timeout), and on PostgreSQL also for a connection before
   * answering STORAGE_UNAVAILABLE; default 5 s.
   */
  readonly busyTimeoutMs?: number;
  /** Most connections to a PostgreSQL database; default DEFAULT_MAX_DB_CONNECTIONS (10). */
  readonly maxConnections?: number;
  /**
   * Other server processes write this database too (several nodes): nothing may be answered
   * from this process's memory, so the lookup caches are off and the queue quota is counted
   * in the database, inside each commit. Default: on for PostgreSQL, off otherwise.
   */
  readonly shared?: boolean;
}

/** Opens the storage the URL names; a SQLite database is created and migrated as needed. */
export async function openStorage(url: string, options: StorageOptions = {}): Promise<Storage> {
  const location = parseStorageUrl(url);
  const shared = options.shared ?? location.kind === 'postgres';
  const storage = await openBackend(location, options, shared);
  // Off when shared: another node may change a friendship or a membership, and nothing tells
  // this one (docs/adr/0008-postgresql.md).
  const capacity = shared ? 0 : (options.cacheCapacity ?? DEFAULT_CACHE_CAPACITY);
  if (capacity === 0) return storage;
  const caches = new RepositoryCaches(capacity);
  return {
    repositories: cachingRepositories(storage.repositories, caches),
    unitOfWork: new CachingUnitOfWork(storage.unitOfWork, caches),
    caches,
    close: () => storage.close(),
  };
}

async function openBackend(location: StorageLocation, options: StorageOptions, shared: boolean): Promise<Storage> {
  if (location.kind === 'memory') {
    const store = new MemoryStore();
    // Waiting for the store's queue lets a unit under way finish first, as Knex's destroy does.
    return {
      repositories: memoryRepositories(store),
      unitOfWork: new InMemoryUnitOfWork(store),
      close: () => store.exclusive(async () => {}),
    };
  }
  const db = location.kind === 'postgres' ? await openPostgres(location.url, options) : await openSqliteDatabase(location.filename, options.busyTimeoutMs);
  // A shared database's queue counts in the database, under its lock (PostgreSQL) or its single writer (SQLite).
  const writer = location.kind === 'postgres' ? knexQueueBatchWriter(db) : sqliteQueueBatchWriter(db);
  const messages = new GroupCommitMessageQueue(db, writer, { sharedDatabase: shared });
  return {
    ...withStorageErrors({
      repositories: { ...knexRepositories(db), messages },
      unitOfWork: new KnexUnitOfWork(db, (recipients) => messages.recount(recipients)),
    }),
    close: async () => {
      await messages.settle();
      await db.destroy();
    },
  };
}

/**
 * Opens and migrates a PostgreSQL database; any failure (refused, no such host, database or
 * user, a bad password) is STORAGE_UNAVAILABLE with one line that names the server, never
 * the password, so `serve` can say it and exit before listening.
 */
async function openPostgres(url: string, options: StorageOptions) {
  try {
    return await openPostgresDatabase(url, options.busyTimeoutMs, options.maxConnections);
  } catch (error) {
    const { hostname, port, pathname } = new URL(url);
    const where = `${hostname}:${port || 5432}${pathname}`;
    throw new StorageError('STORAGE_UNAVAILABLE', `cannot open the PostgreSQL database ${where}: ${errorText(error)}`, { cause: error });
  }
}

/** A driver error in words; Node reports a refused connection to several addresses as an AggregateError with no message of its own. */
function errorText(error: unknown): string {
  if (error instanceof AggregateError && error.message === '') return error.errors.map(errorText).join('; ');
  if (error instanceof Error) return error.message || (error as { code?: string }).code || error.name;
  return String(error);
}
