import type { FriendshipRepository } from '../../application/ports/friendship-repository.js';
import type { GroupRepository, GroupSummary, NewGroup } from '../../application/ports/group-repository.js';
import type { Repositories, UnitOfWork } from '../../application/ports/unit-of-work.js';
import type { PageRequest } from '../../application/ports/page-request.js';
import type { NewUser, StoredToken, TokenHolder, UserRepository } from '../../application/ports/user-repository.js';
import type { Ban, Group, GroupId, GroupRole, Membership, User, UserId, Username } from '../../domain/index.js';
import { LookupCache } from './lookup-cache.js';

/** Entries per cache: a few MB at most, and far more than the users active at once on one server. */
export const DEFAULT_CACHE_CAPACITY = 50_000;

interface UserRecord {
  readonly user: User;
  /** The token the user was found by, when they were: only then can a token lookup be answered from here. */
  readonly token?: StoredToken;
}

/**
 * The hot-path lookups of every request (who is this token, who is that name, are these two
 * friends, is this user in that group, who is in it), kept in memory. The database stays the
 * truth: a miss reads it, and every write through these repositories drops what it changes.
 */
export class RepositoryCaches {
  readonly users: LookupCache<UserRecord>;
  readonly userIdsByName: LookupCache<UserId>;
  readonly userIdsByToken: LookupCache<UserId>;
  readonly friendships: LookupCache<boolean>;
  readonly groups: LookupCache<Group | undefined>;
  readonly memberships: LookupCache<Membership | undefined>;
  readonly members: LookupCache<Membership[]>;

  constructor(capacity = DEFAULT_CACHE_CAPACITY) {
    this.users = new LookupCache(capacity);
    this.userIdsByName = new LookupCache(capacity);
    this.userIdsByToken = new LookupCache(capacity);
    this.friendships = new LookupCache(capacity);
    this.groups = new LookupCache(capacity);
    this.memberships = new LookupCache(capacity);
    this.members = new LookupCache(capacity);
  }

  /** Drops a user's record: their session, rights and ban are read afresh. Token lookups then go to the database. */
  forgetUser(id: UserId): void {
    this.users.invalidate([`${id}`]);
  }

  /**
   * Drops everything a removed user's cascade may have changed: their record, their
   * friendships, and every group and membership (the groups they created went with them).
   */
  forgetRemovedUser(id: UserId): void {
    this.forgetUser(id);
    this.friendships.invalidateWhere((key) => key.startsWith(`${id}:`) || key.endsWith(`:${id}`));
    this.groups.invalidateWhere(() => true);
    this.members.invalidateWhere(() => true);
    this.memberships.invalidateWhere(() => true);
  }

  forgetFriendship(a: UserId, b: UserId): void {
    this.friendships.invalidate([`${a}:${b}`, `${b}:${a}`]);
  }

  forgetMembership(groupId: GroupId, userId: UserId): void {
    this.memberships.invalidate([`${groupId}:${userId}`]);
    this.members.invalidate([`${groupId}`]);
  }

  forgetGroup(id: GroupId): void {
    this.groups.invalidate([`${id}`]);
    this.members.invalidate([`${id}`]);
    this.memberships.invalidateWhere((key) => key.startsWith(`${id}:`));
  }
}

/**
 * How a write's invalidation is applied: at once, and, inside a transaction, once more when
 * it ends, since a reader may have refilled the cache from the database before the commit.
 */
type Invalidate = (forget: () => void) => void;

/** A write that drops what it changes before it starts and again once it is done, so no read in between is kept. */
async function writing<T>(invalidate: Invalidate, forget: () => void, change: () => Promise<T>): Promise<T> {
  invalidate(forget);
  const result = await change();
  invalidate(forget);
  return result;
}

class CachingUserRepository implements UserRepository {
  constructor(
    private readonly inner: UserRepository,
    private readonly caches: RepositoryCaches,
    private readonly invalidate: Invalidate,
    private readonly cached: boolean,
  ) {}

  async add(user: NewUser): Promise<User> {
    return this.inner.add(user);
  }

  async byId(id: UserId): Promise<User | undefined> {
    if (!this.cached) return this.fresh(await this.inner.byId(id));
    const hit = this.caches.users.peek(`${id}`);
    if (hit) return hit.value.user;
    const mark = this.caches.users.mark();
    const user = await this.inner.byId(id);
    if (user) this.caches.users.fill(`${id}`, { user }, mark);
    return user;
  }

  async byUsername(username: Username): Promise<User | undefined> {
    if (!this.cached) return this.fresh(await this.inner.byUsername(username));
    const id = this.caches.userIdsByName.peek(username);
    const hit = id && this.caches.users.peek(`${id.value}`);
    if (hit) return hit.value.user;
    const mark = this.caches.users.mark();
    const user = await this.inner.byUsername(username);
    if (user) {
      this.caches.userIdsByName.fill(username, user.id, this.caches.userIdsByName.mark());
      this.caches.users.fill(`${user.id}`, { user }, mark);
    }
    return user;
  }

  async byTokenHash(tokenHash: string): Promise<TokenHolder | undefined> {
    if (!this.cached) {
      const holder = await this.inner.byTokenHash(tokenHash);
      this.fresh(holder?.user);
      return holder;
    }
    const id = this.caches.userIdsByToken.peek(tokenHash);
    const hit = id && this.caches.users.peek(`${id.value}`);
    const token = hit?.value.token;
    if (hit && token?.hash === tokenHash) return { user: hit.value.user, issuedAt: token.issuedAt };
    const mark = this.caches.users.mark();
    const holder = await this.inner.byTokenHash(tokenHash);
    if (holder) {
      this.caches.userIdsByToken.fill(tokenHash, holder.user.id, this.caches.userIdsByToken.mark());
      this.caches.users.fill(`${holder.user.id}`, { user: holder.user, token: { hash: tokenHash, issuedAt: holder.issuedAt } }, mark);
    }
    return holder;
  }

  all(page?: PageRequest): Promise<User[]> {
    return this.inner.all(page);
  }

  async setToken(id: UserId, token: StoredToken | null): Promise<void> {
    await this.write(id, () => this.inner.setToken(id, token));
  }

  async setAdmin(id: UserId, isAdmin: boolean): Promise<void> {
    await this.write(id, () => this.inner.setAdmin(id, isAdmin));
  }

  async setPasswordHash(id: UserId, passwordHash: string): Promise<void> {
    await this.write(id, () => this.inner.setPasswordHash(id, passwordHash));
  }

  async setBan(id: UserId, ban: Ban | null): Promise<void> {
    await this.write(id, () => this.inner.setBan(id, ban));
  }

  remove(id: UserId): Promise<boolean> {
    return writing(this.invalidate, () => this.caches.forgetRemovedUser(id), () => this.inner.remove(id));
  }

  /**
   * A user read from storage itself, inside a transaction: what the cache holds of them may be
   * older (another process, such as `promote`, may have written the database), so it goes.
   */
  private fresh(user: User | undefined): User | undefined {
    if (user) this.invalidate(() => this.caches.forgetUser(user.id));
    return user;
  }

  private write(id: UserId, change: () => Promise<void>): Promise<void> {
    return writing(this.invalidate, () => this.caches.forgetUser(id), change);
  }
}

class CachingFriendshipRepository implements FriendshipRepository {
  constructor(
    private readonly inner: FriendshipRepository,
    private readonly caches: RepositoryCaches,
    private readonly invalidate: Invalidate,
    private readonly cached: boolean,
  ) {}

  async befriend(a: UserId, b: UserId, since: Date): Promise<void> {
    await writing(this.invalidate, () => this.caches.forgetFriendship(a, b), () => this.inner.befriend(a, b, since));
  }

  areFriends(a: UserId, b: UserId): Promise<boolean> {
    if (!this.cached) return this.inner.areFriends(a, b);
    return this.caches.friendships.get(`${a}:${b}`, () => this.inner.areFriends(a, b));
  }

  friendsOf(userId: UserId, page?: PageRequest): Promise<User[]> {
    return this.inner.friendsOf(userId, page);
  }
}

class CachingGroupRepository implements GroupRepository {
  constructor(
    private readonly inner: GroupRepository,
    private readonly caches: RepositoryCaches,
    private readonly invalidate: Invalidate,
    private readonly cached: boolean,
  ) {}

  async create(group: NewGroup): Promise<Group> {
    const created = await this.inner.create(group);
    this.invalidate(() => this.caches.forgetGroup(created.id));
    return created;
  }

  byId(id: GroupId): Promise<Group | undefined> {
    if (!this.cached) return this.inner.byId(id);
    return this.caches.groups.get(`${id}`, () => this.inner.byId(id));
  }

  byName(name: string): Promise<Group[]> {
    return this.inner.byName(name);
  }

  countCreatedBy(creatorId: UserId): Promise<number> {
    return this.inner.countCreatedBy(creatorId);
  }

  async remove(id: GroupId): Promise<boolean> {
    return this.write(() => this.caches.forgetGroup(id), () => this.inner.remove(id));
  }

  async setBan(id: GroupId, ban: Ban | null): Promise<void> {
    await this.write(() => this.caches.forgetGroup(id), () => this.inner.setBan(id, ban));
  }

  async addMember(groupId: GroupId, userId: UserId, role: GroupRole, joinedAt: Date): Promise<Membership> {
    return this.write(() => this.caches.forgetMembership(groupId, userId), () => this.inner.addMember(groupId, userId, role, joinedAt));
  }

  async removeMember(groupId: GroupId, userId: UserId): Promise<boolean> {
    return this.write(() => this.caches.forgetMembership(groupId, userId), () => this.inner.removeMember(groupId, userId));
  }

  membership(groupId: GroupId, userId: UserId): Promise<Membership | undefined> {
    if (!this.cached) return this.inner.membership(groupId, userId);
    return this.caches.memberships.get(`${groupId}:${userId}`, () => this.inner.membership(groupId, userId));
  }

  members(groupId: GroupId): Promise<Membership[]> {
    if (!this.cached) return this.inner.members(groupId);
    return this.caches.members.get(`${groupId}`, () => this.inner.members(groupId));
  }

  groupsOf(userId: UserId, page?: PageRequest): Promise<GroupSummary[]> {
    return this.inner.groupsOf(userId, page);
  }

  all(page?: PageRequest): Promise<GroupSummary[]> {
    return this.inner.all(page);
  }

  private write<T>(forget: () => void, change: () => Promise<T>): Promise<T> {
    return writing(this.invalidate, forget, change);
  }
}

function wrap(inner: Repositories, caches: RepositoryCaches, invalidate: Invalidate, cached: boolean): Repositories {
  return {
    users: new CachingUserRepository(inner.users, caches, invalidate, cached),
    friendships: new CachingFriendshipRepository(inner.friendships, caches, invalidate, cached),
    groups: new CachingGroupRepository(inner.groups, caches, invalidate, cached),
    messages: inner.messages,
    logins: inner.logins,
  };
}

/** Repositories whose hot lookups are answered from `caches`, and whose writes drop what they change. */
export function cachingRepositories(inner: Repositories, caches: RepositoryCaches): Repositories {
  return wrap(inner, caches, (forget) => forget(), true);
}

/**
 * Transactions that read the database itself (a transaction must see its own writes and
 * nobody else's uncommitted ones), and whose writes drop what they change from the caches
 * at once and again when the transaction ends, committed or not.
 */
export class CachingUnitOfWork implements UnitOfWork {
  constructor(
    private readonly inner: UnitOfWork,
    private readonly caches: RepositoryCaches,
  ) {}

  async run<T>(work: (repositories: Repositories) => Promise<T>): Promise<T> {
    const atEnd: (() => void)[] = [];
    const invalidate: Invalidate = (forget) => {
      forget();
      atEnd.push(forget);
    };
    try {
      return await this.inner.run((repositories) => work(wrap(repositories, this.caches, invalidate, false)));
    } finally {
      for (const forget of atEnd) forget();
    }
  }
}
