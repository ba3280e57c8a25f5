import type { Storage } from '../../infrastructure/storage.js';
import { describeFriendshipRepository } from './friendship-repository.contract.js';
import { describeGroupRepository } from './group-repository.contract.js';
import { describeLoginLog } from './login-log.contract.js';
import { describeMessageQueue } from './message-queue.contract.js';
import { describeUnitOfWork } from './unit-of-work.contract.js';
import { describeUserRepository } from './user-repository.contract.js';

/** The behaviour every storage backend shares, port by port; called once per backend with a fresh storage per test. */
export function describeStorageContract(name: string, open: () => Promise<Storage>): void {
  describe(`storage contract: ${name}`, () => {
    describeUserRepository(name, open);
    describeFriendshipRepository(name, open);
    describeGroupRepository(name, open);
    describeMessageQueue(name, open);
    describeLoginLog(name, open);
    describeUnitOfWork(name, open);
  });
}
