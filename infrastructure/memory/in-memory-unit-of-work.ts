import type { Repositories, UnitOfWork } from '../../application/ports/unit-of-work.js';
import { InMemoryFriendshipRepository } from './in-memory-friendship-repository.js';
import { InMemoryGroupRepository } from './in-memory-group-repository.js';
import { InMemoryLoginLog } from './in-memory-login-log.js';
import { InMemoryMessageQueue } from './in-memory-message-queue.js';
import { InMemoryUserRepository } from './in-memory-user-repository.js';
import type { MemoryStore } from './memory-store.js';

export function memoryRepositories(store: MemoryStore): Repositories {
  return {
    users: new InMemoryUserRepository(store),
    friendships: new InMemoryFriendshipRepository(store),
    groups: new InMemoryGroupRepository(store),
    messages: new InMemoryMessageQueue(store),
    logins: new InMemoryLoginLog(store),
  };
}

/**
 * One unit at a time; a unit that throws leaves the store as it found it. Like the
 * SQLite adapter, whose single connection makes other writers wait for a transaction.
 */
export class InMemoryUnitOfWork implements UnitOfWork {
  private last: Promise<unknown> = Promise.resolve();

  constructor(private readonly store: MemoryStore) {}

  run<T>(work: (repositories: Repositories) => Promise<T>): Promise<T> {
    const unit = this.last.then(async () => {
      const before = this.store.snapshot();
      try {
        return await work(memoryRepositories(this.store));
      } catch (error) {
        this.store.restore(before);
        throw error;
      }
    });
    this.last = unit.catch(() => undefined);
    return unit;
  }
}
