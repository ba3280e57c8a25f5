import type { Repositories, UnitOfWork } from '../application/ports/unit-of-work.js';
import { CachingUnitOfWork, cachingRepositories, DEFAULT_CACHE_CAPACITY, RepositoryCaches } from './caching/caching-repositories.js';
import { GroupCommitMessageQueue } from './knex/group-commit-message-queue.js';
import { openSqliteDatabase } from './knex/knex-database.js';
import { sqliteQueueBatchWriter } from './knex/sqlite-queue-batch-writer.js';
import { KnexUnitOfWork, knexRepositories } from './knex/knex-unit-of-work.js';
import { InMemoryUnitOfWork, memoryRepositories } from './memory/in-memory-unit-of-work.js';
import { MemoryStore } from './memory/memory-store.js';
import { withStorageErrors } from './storage-errors.js';

/** Where the data lives: `sqlite:<path>` (`sqlite::memory:` for a throwaway database) or `memory`. */
export type StorageUrl = `sqlite:${string}` | 'memory';

/** An open storage backend: its repositories, its transactions, and how to let go of it. */
export interface Storage {
  readonly repositories: Repositories;
  readonly unitOfWork: UnitOfWork;
  /** The lookup caches in front of the repositories, when they are on. */
  readonly caches?: RepositoryCaches;
  close(): Promise<void>;
}

/** Reads a storage URL; anything but `sqlite:<path>` and `memory` is refused with a message saying what works. */
export function parseStorageUrl(raw: string): { kind: 'sqlite'; filename: string } | { kind: 'memory' } {
  const url = raw.trim();
  if (url === 'memory') return { kind: 'memory' };
  if (url.startsWith('sqlite:') && url.length > 'sqlite:'.length) return { kind: 'sqlite', filename: url.slice('sqlite:'.length) };
  if (/^postgres(ql)?:/.test(url)) {
    throw new Error(`PostgreSQL storage is planned but not supported yet: use sqlite:<path> or memory, not "${raw}"`);
  }
  throw new Error(`unknown storage "${raw}": use sqlite:<path> or memory (postgres:// is planned but not supported yet)`);
}

export interface StorageOptions {
  /**
   * Entries per hot-path lookup cache (users by id, name and token; friendships; groups and
   * their members); 0 turns the caches off and every lookup reads the database.
   */
  readonly cacheCapacity?: number;
  /** How long a SQLite statement waits for a lock held elsewhere before answering TRY_AGAIN; default 5 s. */
  readonly busyTimeoutMs?: number;
}

/** Opens the storage the URL names; a SQLite database is created and migrated as needed. */
export async function openStorage(url: string, options: StorageOptions = {}): Promise<Storage> {
  const storage = await openBackend(parseStorageUrl(url), options);
  const capacity = options.cacheCapacity ?? DEFAULT_CACHE_CAPACITY;
  if (capacity === 0) return storage;
  const caches = new RepositoryCaches(capacity);
  return {
    repositories: cachingRepositories(storage.repositories, caches),
    unitOfWork: new CachingUnitOfWork(storage.unitOfWork, caches),
    caches,
    close: () => storage.close(),
  };
}

async function openBackend(location: ReturnType<typeof parseStorageUrl>, options: StorageOptions): Promise<Storage> {
  if (location.kind === 'memory') {
    const store = new MemoryStore();
    // Waiting for the store's queue lets a unit under way finish first, as Knex's destroy does.
    return {
      repositories: memoryRepositories(store),
      unitOfWork: new InMemoryUnitOfWork(store),
      close: () => store.exclusive(async () => {}),
    };
  }
  const db = await openSqliteDatabase(location.filename, options.busyTimeoutMs);
  const messages = new GroupCommitMessageQueue(db, sqliteQueueBatchWriter(db));
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
