import type { Ban, Group, GroupId, GroupRole, Membership, UserId } from '../../domain/index.js';
import type { PageRequest } from './page-request.js';

export interface NewGroup {
  readonly name: string;
  readonly creatorId: UserId;
  readonly createdAt: Date;
  /** When given, the most groups the creator may have: checked in the same isolation as the insert. */
  readonly maxPerCreator?: number;
}

/** A group with what listings show beside it. */
export interface GroupSummary {
  readonly group: Group;
  readonly creatorName: string;
  readonly memberCount: number;
}

export interface GroupRepository {
  /**
   * Stores a group and its creator's owner membership together; throws DomainError
   * GROUP_EXISTS if the creator already has a group of that name, and GROUP_LIMIT_REACHED
   * if they already have `maxPerCreator`. Isolation: concurrent creates by one creator, from
   * any number of connections or server processes, never end with more than `maxPerCreator`.
   */
  create(group: NewGroup): Promise<Group>;
  byId(id: GroupId): Promise<Group | undefined>;
  /** Every group of that exact name, whoever created it, ordered by id. */
  byName(name: string): Promise<Group[]>;
  /** How many groups the user has created (and not deleted). */
  countCreatedBy(creatorId: UserId): Promise<number>;
  /** Removes the group and all its memberships; returns false if it did not exist. */
  remove(id: GroupId): Promise<boolean>;
  setBan(id: GroupId, ban: Ban | null): Promise<void>;
  /** Adds a member; throws DomainError ALREADY_MEMBER if they are one. */
  addMember(groupId: GroupId, userId: UserId, role: GroupRole, joinedAt: Date): Promise<Membership>;
  /** Removes a member; returns false if they were not one. */
  removeMember(groupId: GroupId, userId: UserId): Promise<boolean>;
  membership(groupId: GroupId, userId: UserId): Promise<Membership | undefined>;
  /** Members of a group, owner first, then by join time. */
  members(groupId: GroupId): Promise<Membership[]>;
  /** The groups the user belongs to, ordered by group id: one page of them, or every one when `page` is left out. */
  groupsOf(userId: UserId, page?: PageRequest): Promise<GroupSummary[]>;
  /** Groups ordered by id: one page of them, or every one when `page` is left out. */
  all(page?: PageRequest): Promise<GroupSummary[]>;
}
