import type { Knex } from 'knex';
import type { Repositories, UnitOfWork } from '../../application/ports/unit-of-work.js';
import { KnexFriendshipRepository } from './knex-friendship-repository.js';
import { KnexGroupRepository } from './knex-group-repository.js';
import { KnexLoginLog } from './knex-login-log.js';
import { KnexMessageQueue } from './knex-message-queue.js';
import { KnexUserRepository } from './knex-user-repository.js';

/** Every repository, over the database or over one transaction. */
export function knexRepositories(db: Knex | Knex.Transaction): Repositories {
  return {
    users: new KnexUserRepository(db),
    friendships: new KnexFriendshipRepository(db),
    groups: new KnexGroupRepository(db),
    messages: new KnexMessageQueue(db),
    logins: new KnexLoginLog(db),
  };
}

/**
 * One Knex transaction per unit. Work must use only the repositories it is given: on SQLite's
 * single connection, a query on the database itself would wait for the unit to end.
 */
export class KnexUnitOfWork implements UnitOfWork {
  constructor(private readonly db: Knex) {}

  run<T>(work: (repositories: Repositories) => Promise<T>): Promise<T> {
    return this.db.transaction((trx) => work(knexRepositories(trx)));
  }
}
