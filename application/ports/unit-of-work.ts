import type { FriendshipRepository } from './friendship-repository.js';
import type { GroupRepository } from './group-repository.js';
import type { LoginLog } from './login-log.js';
import type { MessageQueue } from './message-queue.js';
import type { UserRepository } from './user-repository.js';

/** The repositories as seen from inside one transaction. */
export interface Repositories {
  readonly users: UserRepository;
  readonly friendships: FriendshipRepository;
  readonly groups: GroupRepository;
  readonly messages: MessageQueue;
  readonly logins: LoginLog;
}

export interface UnitOfWork {
  /**
   * Runs `work` in one transaction: everything it wrote is kept if it resolves, nothing if it
   * throws. Isolation: at least read committed, never less; a rule that needs more (at most
   * N groups per creator) is enforced by the repository method that owns it, not by relying
   * on a backend that happens to run one transaction at a time. Reads inside come from
   * storage itself, never from a cache in front of it: a use case that must see what another
   * process wrote (a login after `promote`) reads in a unit of work.
   */
  run<T>(work: (repositories: Repositories) => Promise<T>): Promise<T>;
}
