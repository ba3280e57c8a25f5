import { createRequire } from 'node:module';
import type { Knex } from 'knex';

const require = createRequire(import.meta.url);

/** Knex's transaction, as far as this file changes it. */
interface KnexTransaction {
  query(connection: unknown, sql: string): Promise<unknown>;
}
type TransactionClass = new (...args: unknown[]) => KnexTransaction;
type ClientClass = new (config: Knex.Config) => { transaction(...args: unknown[]): KnexTransaction };

// Knex's typings do not name its dialect classes, so they are reached by path (Knex 3 has no "exports" map).
const SqliteTransaction = require('knex/lib/dialects/sqlite3/execution/sqlite-transaction.js') as TransactionClass;
const BetterSqlite3Client = require('knex/lib/dialects/better-sqlite3/index.js') as ClientClass;

/** A transaction that takes SQLite's write lock as it begins, as the queue's writer does. */
class ImmediateTransaction extends SqliteTransaction {
  begin(connection: unknown): Promise<unknown> {
    return this.query(connection, 'BEGIN IMMEDIATE;');
  }
}

/**
 * Knex's better-sqlite3 client, its transactions begun with BEGIN IMMEDIATE. A unit of work
 * reads before it writes (the user, then their token; a creator's groups, then a new one). On
 * a file another process writes too (a shared file), a transaction begun deferred that has read
 * cannot take the write lock once the other committed since: in WAL mode SQLite fails it at
 * once (SQLITE_BUSY) rather than wait out the busy timeout. Taking the lock first, it waits.
 * In one process nothing changes: its one connection runs one transaction at a time.
 */
export class ImmediateSqliteClient extends BetterSqlite3Client {
  override transaction(...args: unknown[]): KnexTransaction {
    return new ImmediateTransaction(this, ...args);
  }
}
