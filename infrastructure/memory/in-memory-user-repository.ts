import type { PageRequest } from '../../application/ports/page-request.js';
import type { NewUser, StoredToken, TokenHolder, UserRepository } from '../../application/ports/user-repository.js';
import { DomainError, type Ban, type User, type UserId, type Username } from '../../domain/index.js';
import { assertReferences, pageOf, type MemoryAccess, type MemoryStore, type MemoryTables, type UserRecord } from './memory-store.js';

export class InMemoryUserRepository implements UserRepository {
  constructor(store: MemoryStore, private readonly access: MemoryAccess = store.access) {}

  add(user: NewUser): Promise<User> {
    return this.access((tables) => {
      if (tables.users.some((record) => record.user.username === user.username)) {
        throw new DomainError('USERNAME_TAKEN', `the username ${user.username} is taken`);
      }
      const stored: User = {
        id: ++tables.sequences.users,
        username: user.username,
        passwordHash: user.passwordHash,
        isAdmin: false,
        ban: null,
        createdAt: new Date(user.createdAt.getTime()),
      };
      tables.users.push({ user: stored, token: null });
      return stored;
    });
  }

  byId(id: UserId): Promise<User | undefined> {
    return this.access((tables) => tables.users.find((record) => record.user.id === id)?.user);
  }

  byUsername(username: Username): Promise<User | undefined> {
    return this.access((tables) => tables.users.find((record) => record.user.username === username)?.user);
  }

  byTokenHash(tokenHash: string): Promise<TokenHolder | undefined> {
    return this.access((tables) => {
      const record = tables.users.find((candidate) => candidate.token?.hash === tokenHash);
      return record?.token ? { user: record.user, issuedAt: record.token.issuedAt } : undefined;
    });
  }

  all(page?: PageRequest): Promise<User[]> {
    return this.access((tables) => pageOf(tables.users.map((record) => record.user).sort((a, b) => a.id - b.id), (user) => user.id, page));
  }

  setToken(id: UserId, token: StoredToken | null): Promise<void> {
    return this.change(id, (record) => {
      record.token = token && { hash: token.hash, issuedAt: new Date(token.issuedAt.getTime()) };
    });
  }

  setAdmin(id: UserId, isAdmin: boolean): Promise<void> {
    return this.change(id, (record) => {
      record.user = { ...record.user, isAdmin };
    });
  }

  setPasswordHash(id: UserId, passwordHash: string): Promise<void> {
    return this.change(id, (record) => {
      record.user = { ...record.user, passwordHash };
    });
  }

  /** What the SQL schema's foreign keys do on a user's delete: cascades, and bans they made kept with `by` null. */
  remove(id: UserId): Promise<boolean> {
    return this.access((tables) => {
      if (!tables.users.some((record) => record.user.id === id)) return false;
      const created = new Set(tables.groups.filter((group) => group.creatorId === id).map((group) => group.id));
      tables.users = tables.users.filter((record) => record.user.id !== id);
      tables.groups = tables.groups.filter((group) => !created.has(group.id));
      tables.members = tables.members.filter((m) => m.userId !== id && !created.has(m.groupId));
      tables.friendships = tables.friendships.filter((f) => f.userId !== id && f.friendId !== id);
      tables.messages = tables.messages.filter((m) => m.recipientId !== id);
      tables.logins = tables.logins.filter((login) => login.userId !== id);
      tables.clientMessageIds = tables.clientMessageIds.filter((record) => record.senderId !== id);
      const withoutBanner = <T extends { ban: Ban | null }>(row: T): T => (row.ban?.by === id ? { ...row, ban: { ...row.ban, by: null } } : row);
      for (const record of tables.users) record.user = withoutBanner(record.user);
      tables.groups = tables.groups.map(withoutBanner);
      return true;
    });
  }

  setBan(id: UserId, ban: Ban | null): Promise<void> {
    return this.change(id, (record, tables) => {
      assertReferences(tables, { users: [ban?.by ?? null] });
      record.user = { ...record.user, ban: ban && { by: ban.by, at: new Date(ban.at.getTime()) } };
    });
  }

  private change(id: UserId, apply: (record: UserRecord, tables: MemoryTables) => void): Promise<void> {
    return this.access((tables) => {
      const record = tables.users.find((candidate) => candidate.user.id === id);
      if (record) apply(record, tables);
    });
  }
}
