import type { Knex } from 'knex';
import type { GroupRepository, GroupSummary, NewGroup } from '../../application/ports/group-repository.js';
import type { PageRequest } from '../../application/ports/page-request.js';
import { assertCanCreateAnotherGroup, DomainError, type Ban, type Group, type GroupId, type GroupRole, type Membership, type UserId } from '../../domain/index.js';
import { inTransaction } from './in-transaction.js';
import { isUniqueViolation } from './is-unique-violation.js';
import { paged } from './paged.js';
import { sweepGroups } from './sqlite-group-log.js';
import { isPostgres } from './is-postgres.js';

interface GroupRow {
  id: number;
  name: string;
  creator_id: number;
  banned_by: number | null;
  banned_at: number | string | null;
  created_at: number | string;
}

interface MemberRow {
  group_id: number;
  user_id: number;
  role: number;
  joined_at: number | string;
}

interface SummaryRow extends GroupRow {
  creator_name: string;
  member_count: number | string;
}

/** `group_members.role`: 0 owner, 1 member; owners sort first. */
const ROLES: readonly GroupRole[] = ['owner', 'member'];

function toRow(group: NewGroup): Omit<GroupRow, 'id'> {
  return { name: group.name, creator_id: group.creatorId, banned_by: null, banned_at: null, created_at: group.createdAt.getTime() };
}

function fromRow(row: GroupRow): Group {
  return {
    id: Number(row.id),
    name: row.name,
    creatorId: Number(row.creator_id),
    ban: row.banned_at === null ? null : { by: row.banned_by === null ? null : Number(row.banned_by), at: new Date(Number(row.banned_at)) },
    createdAt: new Date(Number(row.created_at)),
  };
}

function memberToRow(membership: Membership): MemberRow {
  return {
    group_id: membership.groupId,
    user_id: membership.userId,
    role: ROLES.indexOf(membership.role),
    joined_at: membership.joinedAt.getTime(),
  };
}

function memberFromRow(row: MemberRow): Membership {
  return {
    groupId: Number(row.group_id),
    userId: Number(row.user_id),
    role: ROLES[Number(row.role)] ?? 'member',
    joinedAt: new Date(Number(row.joined_at)),
  };
}

export class KnexGroupRepository implements GroupRepository {
  constructor(private readonly db: Knex | Knex.Transaction) {}

  async create(group: NewGroup): Promise<Group> {
    const row = toRow(group);
    const insert = async (trx: Knex.Transaction) => {
      if (group.maxPerCreator !== undefined) {
        // The creator's row is the lock that serialises their creates where the database does not (PostgreSQL's read committed).
        // NO KEY UPDATE: it excludes another create, not the KEY SHARE lock a delivery to the creator takes on their row.
        const creator = trx('users').where({ id: group.creatorId }).select('id');
        if (isPostgres(trx)) await creator.forNoKeyUpdate();
        else await creator;
        assertCanCreateAnotherGroup(await new KnexGroupRepository(trx).countCreatedBy(group.creatorId), group.maxPerCreator);
      }
      const [inserted] = (await trx('groups').insert(row).returning('id')) as { id: number }[];
      const id = Number(inserted!.id);
      await trx('group_members').insert(memberToRow({ groupId: id, userId: group.creatorId, role: 'owner', joinedAt: group.createdAt }));
      return id;
    };
    try {
      const id = await inTransaction(this.db, insert);
      return fromRow({ ...row, id });
    } catch (error) {
      if (isUniqueViolation(error, 'groups', ['name', 'creator_id'])) {
        throw new DomainError('GROUP_EXISTS', `you already have a group called "${group.name}"`);
      }
      throw error;
    }
  }

  async byId(id: GroupId): Promise<Group | undefined> {
    const row = await this.db<GroupRow>('groups').where({ id }).first();
    return row && fromRow(row);
  }

  async byName(name: string): Promise<Group[]> {
    return (await this.db<GroupRow>('groups').where({ name }).orderBy('id')).map(fromRow);
  }

  async countCreatedBy(creatorId: UserId): Promise<number> {
    const [row] = (await this.db('groups').where({ creator_id: creatorId }).count({ count: '*' })) as { count: number | string }[];
    return Number(row!.count);
  }

  async remove(id: GroupId): Promise<boolean> {
    // The schema cascades to group_members and lets queued notices keep a null group_id.
    if ((await this.db('groups').where({ id }).del()) === 0) return false;
    // SQLite's group log: the group's messages stay until their members acknowledge them, and the cursors with the last of them.
    await sweepGroups(this.db, [id]);
    return true;
  }

  async setBan(id: GroupId, ban: Ban | null): Promise<void> {
    await this.db('groups').where({ id }).update({ banned_by: ban?.by ?? null, banned_at: ban?.at.getTime() ?? null });
  }

  async addMember(groupId: GroupId, userId: UserId, role: GroupRole, joinedAt: Date): Promise<Membership> {
    const membership: Membership = { groupId, userId, role, joinedAt };
    try {
      await this.db('group_members').insert(memberToRow(membership));
    } catch (error) {
      if (isUniqueViolation(error, 'group_members', ['group_id', 'user_id'])) {
        throw new DomainError('ALREADY_MEMBER', 'already a member of that group');
      }
      throw error;
    }
    return { ...membership, joinedAt: new Date(joinedAt.getTime()) };
  }

  async removeMember(groupId: GroupId, userId: UserId): Promise<boolean> {
    return (await this.db('group_members').where({ group_id: groupId, user_id: userId }).del()) > 0;
  }

  async membership(groupId: GroupId, userId: UserId): Promise<Membership | undefined> {
    const row = await this.db<MemberRow>('group_members').where({ group_id: groupId, user_id: userId }).first();
    return row && memberFromRow(row);
  }

  async members(groupId: GroupId): Promise<Membership[]> {
    const rows = await this.db<MemberRow>('group_members')
      .where({ group_id: groupId })
      .orderBy([{ column: 'role' }, { column: 'joined_at' }, { column: 'user_id' }]);
    return rows.map(memberFromRow);
  }

  async groupsOf(userId: UserId, page?: PageRequest): Promise<GroupSummary[]> {
    return this.summaries(page, (query) => query.whereIn('g.id', this.db('group_members').select('group_id').where({ user_id: userId })));
  }

  async all(page?: PageRequest): Promise<GroupSummary[]> {
    return this.summaries(page, (query) => query);
  }

  private async summaries(page: PageRequest | undefined, filter: (query: Knex.QueryBuilder) => Knex.QueryBuilder): Promise<GroupSummary[]> {
    const memberCount = this.db('group_members as m').count('*').whereRaw('?? = ??', ['m.group_id', 'g.id']).as('member_count');
    const rows = (await filter(
      this.db('groups as g').join('users as u', 'u.id', 'g.creator_id').select('g.*', 'u.username as creator_name', memberCount),
    ).modify(paged('g.id', page))) as SummaryRow[];
    return rows.map((row) => ({ group: fromRow(row), creatorName: row.creator_name, memberCount: Number(row.member_count) }));
  }
}
