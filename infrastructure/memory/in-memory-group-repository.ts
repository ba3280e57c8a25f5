import type { GroupRepository, GroupSummary, NewGroup } from '../../application/ports/group-repository.js';
import type { PageRequest } from '../../application/ports/page-request.js';
import { assertCanCreateAnotherGroup, DomainError, type Ban, type Group, type GroupId, type GroupRole, type Membership, type UserId } from '../../domain/index.js';
import { assertReferences, pageOf, type MemoryAccess, type MemoryStore, type MemoryTables } from './memory-store.js';

const ROLE_ORDER: Readonly<Record<GroupRole, number>> = { owner: 0, member: 1 };

export class InMemoryGroupRepository implements GroupRepository {
  constructor(store: MemoryStore, private readonly access: MemoryAccess = store.access) {}

  create(group: NewGroup): Promise<Group> {
    return this.access((tables) => {
      assertReferences(tables, { users: [group.creatorId] });
      if (group.maxPerCreator !== undefined) {
        assertCanCreateAnotherGroup(tables.groups.filter((g) => g.creatorId === group.creatorId).length, group.maxPerCreator);
      }
      if (tables.groups.some((g) => g.name === group.name && g.creatorId === group.creatorId)) {
        throw new DomainError('GROUP_EXISTS', `you already have a group called "${group.name}"`);
      }
      const createdAt = new Date(group.createdAt.getTime());
      const stored: Group = { id: ++tables.sequences.groups, name: group.name, creatorId: group.creatorId, ban: null, createdAt };
      tables.groups.push(stored);
      tables.members.push({ groupId: stored.id, userId: group.creatorId, role: 'owner', joinedAt: createdAt });
      return stored;
    });
  }

  byId(id: GroupId): Promise<Group | undefined> {
    return this.access((tables) => tables.groups.find((g) => g.id === id));
  }

  byName(name: string): Promise<Group[]> {
    return this.access((tables) => tables.groups.filter((g) => g.name === name));
  }

  countCreatedBy(creatorId: UserId): Promise<number> {
    return this.access((tables) => tables.groups.filter((g) => g.creatorId === creatorId).length);
  }

  remove(id: GroupId): Promise<boolean> {
    return this.access((tables) => {
      const before = tables.groups.length;
      tables.groups = tables.groups.filter((g) => g.id !== id);
      tables.members = tables.members.filter((m) => m.groupId !== id);
      return tables.groups.length < before;
    });
  }

  setBan(id: GroupId, ban: Ban | null): Promise<void> {
    return this.access((tables) => {
      const index = tables.groups.findIndex((g) => g.id === id);
      if (index < 0) return;
      assertReferences(tables, { users: [ban?.by ?? null] });
      tables.groups[index] = { ...tables.groups[index]!, ban: ban && { by: ban.by, at: new Date(ban.at.getTime()) } };
    });
  }

  addMember(groupId: GroupId, userId: UserId, role: GroupRole, joinedAt: Date): Promise<Membership> {
    return this.access((tables) => {
      assertReferences(tables, { users: [userId], groups: [groupId] });
      if (tables.members.some((m) => m.groupId === groupId && m.userId === userId)) {
        throw new DomainError('ALREADY_MEMBER', 'already a member of that group');
      }
      const membership: Membership = { groupId, userId, role, joinedAt: new Date(joinedAt.getTime()) };
      tables.members.push(membership);
      return membership;
    });
  }

  removeMember(groupId: GroupId, userId: UserId): Promise<boolean> {
    return this.access((tables) => {
      const before = tables.members.length;
      tables.members = tables.members.filter((m) => !(m.groupId === groupId && m.userId === userId));
      return tables.members.length < before;
    });
  }

  membership(groupId: GroupId, userId: UserId): Promise<Membership | undefined> {
    return this.access((tables) => tables.members.find((m) => m.groupId === groupId && m.userId === userId));
  }

  members(groupId: GroupId): Promise<Membership[]> {
    return this.access((tables) =>
      tables.members
        .filter((m) => m.groupId === groupId)
        .sort((a, b) => ROLE_ORDER[a.role] - ROLE_ORDER[b.role] || a.joinedAt.getTime() - b.joinedAt.getTime() || a.userId - b.userId),
    );
  }

  groupsOf(userId: UserId, page?: PageRequest): Promise<GroupSummary[]> {
    return this.access((tables) => {
      const mine = new Set(tables.members.filter((m) => m.userId === userId).map((m) => m.groupId));
      return summaries(tables, tables.groups.filter((g) => mine.has(g.id)), page);
    });
  }

  all(page?: PageRequest): Promise<GroupSummary[]> {
    return this.access((tables) => summaries(tables, tables.groups, page));
  }
}

function summaries(tables: MemoryTables, groups: readonly Group[], page: PageRequest | undefined): GroupSummary[] {
  return pageOf([...groups].sort((a, b) => a.id - b.id), (group) => group.id, page)
    .map((group) => ({
      group,
      creatorName: tables.users.find((record) => record.user.id === group.creatorId)?.user.username ?? '',
      memberCount: tables.members.filter((m) => m.groupId === group.id).length,
    }));
}
