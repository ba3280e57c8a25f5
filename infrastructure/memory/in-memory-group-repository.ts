import type { GroupRepository, GroupSummary, NewGroup } from '../../application/ports/group-repository.js';
import { DomainError, type Ban, type Group, type GroupId, type GroupRole, type Membership, type UserId } from '../../domain/index.js';
import type { MemoryStore } from './memory-store.js';

export class InMemoryGroupRepository implements GroupRepository {
  constructor(private readonly store: MemoryStore) {}

  async create(group: NewGroup): Promise<Group> {
    if (this.store.groups.some((g) => g.name === group.name && g.creatorId === group.creatorId)) {
      throw new DomainError('GROUP_EXISTS', `you already have a group called "${group.name}"`);
    }
    const stored: Group = { id: ++this.store.sequences.groups, ...group, ban: null };
    this.store.groups.push(stored);
    this.store.members.push({ groupId: stored.id, userId: group.creatorId, role: 'owner', joinedAt: group.createdAt });
    return stored;
  }

  async byId(id: GroupId): Promise<Group | undefined> {
    return this.store.groups.find((g) => g.id === id);
  }

  async byName(name: string): Promise<Group[]> {
    return this.store.groups.filter((g) => g.name === name);
  }

  async countCreatedBy(creatorId: UserId): Promise<number> {
    return this.store.groups.filter((g) => g.creatorId === creatorId).length;
  }

  async remove(id: GroupId): Promise<boolean> {
    const before = this.store.groups.length;
    this.store.groups = this.store.groups.filter((g) => g.id !== id);
    this.store.members = this.store.members.filter((m) => m.groupId !== id);
    return this.store.groups.length < before;
  }

  async setBan(id: GroupId, ban: Ban | null): Promise<void> {
    this.store.groups = this.store.groups.map((g) => (g.id === id ? { ...g, ban } : g));
  }

  async addMember(groupId: GroupId, userId: UserId, role: GroupRole, joinedAt: Date): Promise<Membership> {
    if (this.store.members.some((m) => m.groupId === groupId && m.userId === userId)) {
      throw new DomainError('ALREADY_MEMBER', 'already a member of that group');
    }
    const membership: Membership = { groupId, userId, role, joinedAt };
    this.store.members.push(membership);
    return membership;
  }

  async removeMember(groupId: GroupId, userId: UserId): Promise<boolean> {
    const before = this.store.members.length;
    this.store.members = this.store.members.filter((m) => !(m.groupId === groupId && m.userId === userId));
    return this.store.members.length < before;
  }

  async membership(groupId: GroupId, userId: UserId): Promise<Membership | undefined> {
    return this.store.members.find((m) => m.groupId === groupId && m.userId === userId);
  }

  async members(groupId: GroupId): Promise<Membership[]> {
    const rank = (m: Membership) => [m.role === 'owner' ? 0 : 1, m.joinedAt.getTime(), m.userId];
    return this.store.members
      .filter((m) => m.groupId === groupId)
      .sort((a, b) => {
        const [x, y] = [rank(a), rank(b)];
        return x[0]! - y[0]! || x[1]! - y[1]! || x[2]! - y[2]!;
      });
  }

  async groupsOf(userId: UserId): Promise<GroupSummary[]> {
    const mine = new Set(this.store.members.filter((m) => m.userId === userId).map((m) => m.groupId));
    return this.summaries(this.store.groups.filter((g) => mine.has(g.id)));
  }

  async all(): Promise<GroupSummary[]> {
    return this.summaries(this.store.groups);
  }

  private summaries(groups: Group[]): GroupSummary[] {
    return [...groups]
      .sort((a, b) => a.id - b.id)
      .map((group) => ({
        group,
        creatorName: this.store.users.find((r) => r.user.id === group.creatorId)?.user.username ?? '',
        memberCount: this.store.members.filter((m) => m.groupId === group.id).length,
      }));
  }
}
