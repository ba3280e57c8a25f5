import type { Repositories, UnitOfWork } from '../../application/ports/unit-of-work.js';
import { InMemoryFriendshipRepository } from './in-memory-friendship-repository.js';
import { InMemoryGroupRepository } from './in-memory-group-repository.js';
import { InMemoryLoginLog } from './in-memory-login-log.js';
import { InMemoryMessageQueue } from './in-memory-message-queue.js';
import { InMemoryUserRepository } from './in-memory-user-repository.js';
import type { MemoryAccess, MemoryStore } from './memory-store.js';

/** Every repository over the store; `access` decides when their calls run (by default, each in its turn). */
export function memoryRepositories(store: MemoryStore, access: MemoryAccess = store.access): Repositories {
  return {
    users: new InMemoryUserRepository(store, access),
    friendships: new InMemoryFriendshipRepository(store, access),
    groups: new InMemoryGroupRepository(store, access),
    messages: new InMemoryMessageQueue(store, access),
    logins: new InMemoryLoginLog(store, access),
  };
}

/**
 * One unit at a time, and calls made outside units wait for it, as on the SQLite adapter's
 * single connection. A unit that throws leaves the store as it found it.
 */
export class InMemoryUnitOfWork implements UnitOfWork {
  constructor(private readonly store: MemoryStore) {}

  run<T>(work: (repositories: Repositories) => Promise<T>): Promise<T> {
    return this.store.exclusive(async () => {
      const before = structuredClone(this.store.tables);
      let open = true;
      const access: MemoryAccess = async (body) => {
        if (!open) throw new Error('this unit of work has ended; its repositories cannot be used any more');
        return structuredClone(body(this.store.tables));
      };
      try {
        return await work(memoryRepositories(this.store, access));
      } catch (error) {
        this.store.tables = before;
        throw error;
      } finally {
        open = false;
      }
    });
  }
}
