import type { Repositories, UnitOfWork } from '../application/ports/unit-of-work.js';
import { openSqliteDatabase } from './knex/knex-database.js';
import { KnexUnitOfWork, knexRepositories } from './knex/knex-unit-of-work.js';
import { InMemoryUnitOfWork, memoryRepositories } from './memory/in-memory-unit-of-work.js';
import { MemoryStore } from './memory/memory-store.js';

/** Where the data lives: `sqlite:<path>` (`sqlite::memory:` for a throwaway database) or `memory`. */
export type StorageUrl = `sqlite:${string}` | 'memory';

/** An open storage backend: its repositories, its transactions, and how to let go of it. */
export interface Storage {
  readonly repositories: Repositories;
  readonly unitOfWork: UnitOfWork;
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

/** Opens the storage the URL names; a SQLite database is created and migrated as needed. */
export async function openStorage(url: string): Promise<Storage> {
  const location = parseStorageUrl(url);
  if (location.kind === 'memory') {
    const store = new MemoryStore();
    // Waiting for the store's queue lets a unit under way finish first, as Knex's destroy does.
    return {
      repositories: memoryRepositories(store),
      unitOfWork: new InMemoryUnitOfWork(store),
      close: () => store.exclusive(async () => {}),
    };
  }
  const db = await openSqliteDatabase(location.filename);
  return { repositories: knexRepositories(db), unitOfWork: new KnexUnitOfWork(db), close: () => db.destroy() };
}
