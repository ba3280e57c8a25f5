import type { Knex } from 'knex';
import type { Repositories, UnitOfWork } from '../../application/ports/unit-of-work.js';
import type { UserId } from '../../domain/index.js';
import { KnexFriendshipRepository } from './knex-friendship-repository.js';
import { KnexGroupRepository } from './knex-group-repository.js';
import { KnexLoginLog } from './knex-login-log.js';
import { KnexMessageQueue } from './knex-message-queue.js';
import { KnexUserRepository } from './knex-user-repository.js';

/** Every repository, over the database or over one transaction. */
export function knexRepositories(db: Knex | Knex.Transaction, queuedTo?: (recipientIds: readonly UserId[]) => void): Repositories {
  return {
    users: new KnexUserRepository(db),
    friendships: new KnexFriendshipRepository(db),
    groups: new KnexGroupRepository(db),
    messages: new KnexMessageQueue(db, queuedTo),
    logins: new KnexLoginLog(db),
  };
}

/**
 * One Knex transaction per unit. Work must use only the repositories it is given: on SQLite's
 * single connection, a query on the database itself would wait for the unit to end.
 */
export class KnexUnitOfWork implements UnitOfWork {
  /** `queuedTo` hears, once a unit has committed, the recipients it queued deliveries for (the group commit's quota counts). */
  constructor(
    private readonly db: Knex,
    private readonly queuedTo?: (recipientIds: readonly UserId[]) => void,
  ) {}

  async run<T>(work: (repositories: Repositories) => Promise<T>): Promise<T> {
    const recipients: UserId[] = [];
    const result = await this.db.transaction((trx) => work(knexRepositories(trx, (ids) => recipients.push(...ids))));
    if (recipients.length > 0) this.queuedTo?.(recipients);
    return result;
  }
}
