import type { Repositories, UnitOfWork } from '../application/ports/unit-of-work.js';
import { LOCKED_RETRY_AFTER_MS, StorageError, UNAVAILABLE_RETRY_AFTER_MS } from '../application/ports/storage-error.js';

/** Driver codes for a full disk: SQLite, and PostgreSQL's disk_full. */
const FULL = new Set(['SQLITE_FULL', '53100']);
/** Driver codes for a lock not had in time: SQLite's busy and locked, PostgreSQL's lock_not_available, deadlock and serialization failures. */
const LOCKED = new Set(['SQLITE_BUSY', 'SQLITE_BUSY_SNAPSHOT', 'SQLITE_BUSY_TIMEOUT', 'SQLITE_LOCKED', '55P03', '40P01', '40001']);

/**
 * Codes for a database server that cannot be reached or went away: the socket's (refused,
 * reset, no such host, timed out), and PostgreSQL's connection exceptions (class 08) and
 * shutdowns (an administrator's `pg_terminate_backend`, a crash, a server starting up).
 */
const UNAVAILABLE = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE',
  '08000', '08001', '08003', '08004', '08006', '57P01', '57P02', '57P03',
]);

/**
 * Whether an error without a code says the connection is gone: `pg` reports a socket closed
 * under a query ("Connection terminated unexpectedly") and its connect timeout only in words,
 * and Knex gives up waiting for a connection with a KnexTimeoutError.
 */
function isConnectionLost(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  // Not anchored: the message may start with the statement (withoutBindings).
  return error.name === 'KnexTimeoutError' || /Connection terminated|is not queryable/.test(error.message);
}

/** The StorageError a driver error means, or the error itself. */
export function meaningOf(error: unknown): unknown {
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  if ((typeof code === 'string' && UNAVAILABLE.has(code)) || isConnectionLost(error)) {
    const retryAfterMs = UNAVAILABLE_RETRY_AFTER_MS;
    return new StorageError('STORAGE_UNAVAILABLE', `the server cannot reach its database: try again in ${retryAfterMs / 1000} s (a send repeated with its clientMsgId is stored once)`, { retryAfterMs, cause: error });
  }
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

/** A rejection handler shared by every call, rather than a closure made per call. */
function rejectWithMeaning(error: unknown): never {
  throw meaningOf(error);
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
          return result instanceof Promise ? result.catch(rejectWithMeaning) : result;
        };
        wrapped.set(property, method);
      }
      return method;
    },
  });
}

/**
 * Repositories and unit of work whose driver errors that mean something to a client (a full
 * disk, a lock timeout, a database away) become StorageErrors: one place for every backend and every method.
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
