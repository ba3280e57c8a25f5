import { DomainError } from './domain-error.js';
import type { Group, GroupId } from './group.js';
import type { User, UserId } from './user.js';

/** Stored as 0 (owner) and 1 (member) in `group_members.role`. */
export type GroupRole = 'owner' | 'member';

export interface Membership {
  readonly groupId: GroupId;
  readonly userId: UserId;
  readonly role: GroupRole;
  readonly joinedAt: Date;
}

/** Deleting a group belongs to its owner alone. */
export function assertCanDeleteGroup(actor: User, group: Group): void {
  if (group.creatorId !== actor.id) {
    throw new DomainError('NOT_GROUP_OWNER', `only the owner can delete "${group.name}"`);
  }
}

/** The owner and admins invite and kick. */
export function assertCanManageMembers(actor: User, group: Group): void {
  if (group.creatorId !== actor.id && !actor.isAdmin) {
    throw new DomainError('NOT_GROUP_OWNER', `only the owner of "${group.name}" or an admin can do that`);
  }
}

/** Nobody kicks themselves, and the owner cannot be kicked out of their own group. */
export function assertCanKick(actor: User, target: Membership): void {
  if (target.userId === actor.id) throw new DomainError('CANNOT_KICK_SELF', 'you cannot kick yourself');
  if (target.role === 'owner') throw new DomainError('CANNOT_KICK_OWNER', 'the owner cannot be kicked');
}
