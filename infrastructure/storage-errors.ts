import type { Repositories, UnitOfWork } from '../application/ports/unit-of-work.js';
import { LOCKED_RETRY_AFTER_MS, StorageError } from '../application/ports/storage-error.js';

/** Driver codes for a full disk: SQLite, and PostgreSQL's disk_full. */
const FULL = new Set(['SQLITE_FULL', '53100']);
/** Driver codes for a lock not had in time: SQLite's busy and locked, PostgreSQL's lock_not_available, deadlock and serialization failures. */
const LOCKED = new Set(['SQLITE_BUSY', 'SQLITE_BUSY_SNAPSHOT', 'SQLITE_BUSY_TIMEOUT', 'SQLITE_LOCKED', '55P03', '40P01', '40001']);

/** The StorageError a driver error means, or the error itself. */
export function meaningOf(error: unknown): unknown {
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  if (typeof code !== 'string') return error;
  if (FULL.has(code)) {
    return new StorageError('STORAGE_FULL', 'the server cannot store anything more: its disk is full; an operator must make room', { cause: error });
  }
  if (LOCKED.has(code)) {
    const retryAfterMs = LOCKED_RETRY_AFTER_MS;
    return new StorageError('TRY_AGAIN', `the server's database is busy: try again in ${retryAfterMs / 1000} s`, { retryAfterMs, cause: error });
  }
  return error;
}

/** The object with every method's rejection passed through `meaningOf`. */
function translated<T extends object>(target: T): T {
  const wrapped = new Map<PropertyKey, unknown>();
  return new Proxy(target, {
    get(object, property) {
      const value: unknown = Reflect.get(object, property, object);
      if (typeof value !== 'function') return value;
      let method = wrapped.get(property);
      if (!method) {
        method = (...args: unknown[]) => {
          const result: unknown = Reflect.apply(value as (...a: unknown[]) => unknown, object, args);
          return result instanceof Promise ? result.catch((error: unknown) => Promise.reject(meaningOf(error) as Error)) : result;
        };
        wrapped.set(property, method);
      }
      return method;
    },
  });
}

/**
 * Repositories and unit of work whose driver errors that mean something to a client (a full
 * disk, a lock timeout) become StorageErrors: one place for every backend and every method.
 */
export function withStorageErrors(storage: { repositories: Repositories; unitOfWork: UnitOfWork }): { repositories: Repositories; unitOfWork: UnitOfWork } {
  const { repositories } = storage;
  return {
    repositories: {
      users: translated(repositories.users),
      friendships: translated(repositories.friendships),
      groups: translated(repositories.groups),
      messages: translated(repositories.messages),
      logins: translated(repositories.logins),
    },
    unitOfWork: translated(storage.unitOfWork),
  };
}
