/** Codes of storage failures a client can act on: they are the server's fault, not the request's. */
export type StorageErrorCode = 'STORAGE_FULL' | 'TRY_AGAIN' | 'STORAGE_UNAVAILABLE';

/**
 * How long a database write waits for a lock held elsewhere before the request answers
 * TRY_AGAIN (SQLite's busy timeout; PostgreSQL's lock_timeout when it comes).
 */
export const DEFAULT_LOCK_TIMEOUT_MS = 5000;

/**
 * Most connections one server process keeps to a PostgreSQL database (Synapse's `cp_max`
 * default is 10 too); requests beyond wait for one, as long as for a lock.
 */
export const DEFAULT_MAX_DB_CONNECTIONS = 10;

/** How long a client should wait before repeating a request that met a locked database. */
export const LOCKED_RETRY_AFTER_MS = 1000;

/** How long a client should wait before repeating a request that found the database away (each request tries it again). */
export const UNAVAILABLE_RETRY_AFTER_MS = 1000;

/**
 * A storage failure with a meaning: the disk is full (STORAGE_FULL, until an operator makes
 * room), the database stayed locked past its timeout (TRY_AGAIN, after `retryAfterMs`), or
 * the database server cannot be reached (STORAGE_UNAVAILABLE, after `retryAfterMs`).
 * Storage adapters throw it in place of the driver's error; nothing was written.
 */
export class StorageError extends Error {
  override readonly name = 'StorageError';

  /** `cause` is the driver's error, for the log. */
  constructor(
    readonly code: StorageErrorCode,
    message: string,
    options: { readonly retryAfterMs?: number; readonly cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause });
    this.retryAfterMs = options.retryAfterMs;
  }

  readonly retryAfterMs: number | undefined;
}
