import type { Knex } from 'knex';

/**
 * Runs `work` in the caller's transaction when `db` is one (a unit of work), else in a
 * transaction of its own, so that a repository's several statements are all or nothing.
 */
export function inTransaction<T>(db: Knex | Knex.Transaction, work: (trx: Knex.Transaction) => Promise<T>): Promise<T> {
  return db.isTransaction ? work(db as Knex.Transaction) : db.transaction(work);
}
