import { DomainError } from './domain-error.js';
import type { User, UserId } from './user.js';

/** Friendship is mutual: one pair, stored both ways round. */
export interface Friendship {
  readonly userId: UserId;
  readonly friendId: UserId;
  readonly since: Date;
}

export function assertCanBefriend(user: User, other: User): void {
  if (user.id === other.id) throw new DomainError('CANNOT_BEFRIEND_SELF', 'you cannot add yourself as a friend');
}
