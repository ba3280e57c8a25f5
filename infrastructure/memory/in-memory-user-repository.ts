import type { NewUser, UserRepository } from '../../application/ports/user-repository.js';
import { DomainError, type Ban, type User, type UserId, type Username } from '../../domain/index.js';
import type { MemoryStore } from './memory-store.js';

export class InMemoryUserRepository implements UserRepository {
  constructor(private readonly store: MemoryStore) {}

  async add(user: NewUser): Promise<User> {
    if (this.store.users.some((r) => r.user.username === user.username)) {
      throw new DomainError('USERNAME_TAKEN', `the username ${user.username} is taken`);
    }
    const stored: User = { id: ++this.store.sequences.users, ...user, isAdmin: false, ban: null };
    this.store.users.push({ user: stored, tokenHash: null });
    return stored;
  }

  async byId(id: UserId): Promise<User | undefined> {
    return this.store.users.find((r) => r.user.id === id)?.user;
  }

  async byUsername(username: Username): Promise<User | undefined> {
    return this.store.users.find((r) => r.user.username === username)?.user;
  }

  async byTokenHash(tokenHash: string): Promise<User | undefined> {
    return this.store.users.find((r) => r.tokenHash === tokenHash)?.user;
  }

  async all(): Promise<User[]> {
    return this.store.users.map((r) => r.user).sort((a, b) => (a.username < b.username ? -1 : 1));
  }

  async setTokenHash(id: UserId, tokenHash: string | null): Promise<void> {
    this.replace(id, (record) => ({ ...record, tokenHash }));
  }

  async setAdmin(id: UserId, isAdmin: boolean): Promise<void> {
    this.replace(id, (record) => ({ ...record, user: { ...record.user, isAdmin } }));
  }

  async setBan(id: UserId, ban: Ban | null): Promise<void> {
    this.replace(id, (record) => ({ ...record, user: { ...record.user, ban } }));
  }

  private replace(id: UserId, change: (record: MemoryStore['users'][number]) => MemoryStore['users'][number]): void {
    this.store.users = this.store.users.map((record) => (record.user.id === id ? change(record) : record));
  }
}
