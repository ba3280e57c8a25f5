import type { Knex } from 'knex';
import type { NewUser, UserRepository } from '../../application/ports/user-repository.js';
import { DomainError, type Ban, type User, type UserId, type Username } from '../../domain/index.js';
import { isUniqueViolation } from './unique-violation.js';

export interface UserRow {
  id: number;
  username: string;
  password_hash: string;
  is_admin: number | boolean;
  token_hash: string | null;
  banned_by: number | null;
  banned_at: number | string | null;
  created_at: number | string;
}

export function userFromRow(row: UserRow): User {
  return {
    id: Number(row.id),
    username: row.username as Username,
    passwordHash: row.password_hash,
    isAdmin: Boolean(row.is_admin),
    ban: row.banned_at === null ? null : { by: row.banned_by, at: new Date(Number(row.banned_at)) },
    createdAt: new Date(Number(row.created_at)),
  };
}

export class KnexUserRepository implements UserRepository {
  constructor(private readonly db: Knex | Knex.Transaction) {}

  async add(user: NewUser): Promise<User> {
    const row = { username: user.username, password_hash: user.passwordHash, is_admin: false, created_at: user.createdAt.getTime() };
    try {
      const [inserted] = await this.db('users').insert(row).returning('id');
      return userFromRow({ ...row, id: (inserted as { id: number }).id, token_hash: null, banned_by: null, banned_at: null });
    } catch (error) {
      if (isUniqueViolation(error)) throw new DomainError('USERNAME_TAKEN', `the username ${user.username} is taken`);
      throw error;
    }
  }

  async byId(id: UserId): Promise<User | undefined> {
    const row = await this.db<UserRow>('users').where({ id }).first();
    return row && userFromRow(row);
  }

  async byUsername(username: Username): Promise<User | undefined> {
    const row = await this.db<UserRow>('users').where({ username }).first();
    return row && userFromRow(row);
  }

  async byTokenHash(tokenHash: string): Promise<User | undefined> {
    const row = await this.db<UserRow>('users').where({ token_hash: tokenHash }).first();
    return row && userFromRow(row);
  }

  async all(): Promise<User[]> {
    return (await this.db<UserRow>('users').orderBy('username')).map(userFromRow);
  }

  async setTokenHash(id: UserId, tokenHash: string | null): Promise<void> {
    await this.db('users').where({ id }).update({ token_hash: tokenHash });
  }

  async setAdmin(id: UserId, isAdmin: boolean): Promise<void> {
    await this.db('users').where({ id }).update({ is_admin: isAdmin });
  }

  async setBan(id: UserId, ban: Ban | null): Promise<void> {
    await this.db('users').where({ id }).update({ banned_by: ban?.by ?? null, banned_at: ban?.at.getTime() ?? null });
  }
}
