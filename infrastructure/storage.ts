import type { Repositories, UnitOfWork } from '../application/ports/unit-of-work.js';
import { openSqliteDatabase } from './knex/knex-database.js';
import { KnexUnitOfWork, knexRepositories } from './knex/knex-unit-of-work.js';
import { InMemoryUnitOfWork, memoryRepositories } from './memory/in-memory-unit-of-work.js';
import { MemoryStore } from './memory/memory-store.js';

/** An open storage backend: its repositories, its transactions, and how to let go of it. */
export interface Storage {
  readonly repositories: Repositories;
  readonly unitOfWork: UnitOfWork;
  close(): Promise<void>;
}

export type StorageLocation = { kind: 'sqlite'; filename: string } | { kind: 'memory' };

/** Reads `sqlite:<path>` or `memory`. */
export function parseStorageUrl(raw: string): StorageLocation {
  if (raw === 'memory') return { kind: 'memory' };
  if (raw.startsWith('sqlite:') && raw.length > 'sqlite:'.length) return { kind: 'sqlite', filename: raw.slice('sqlite:'.length) };
  throw new Error(`unknown storage "${raw}": use sqlite:<path> or memory (postgres:// is planned, not supported yet)`);
}

export async function openStorage(url: string): Promise<Storage> {
  const location = parseStorageUrl(url);
  if (location.kind === 'memory') {
    const store = new MemoryStore();
    return { repositories: memoryRepositories(store), unitOfWork: new InMemoryUnitOfWork(store), close: async () => {} };
  }
  const db = await openSqliteDatabase(location.filename);
  return { repositories: knexRepositories(db), unitOfWork: new KnexUnitOfWork(db), close: () => db.destroy() };
}
