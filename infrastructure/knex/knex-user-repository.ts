import type { Knex } from 'knex';
import type { PageRequest } from '../../application/ports/page-request.js';
import type { NewUser, StoredToken, TokenHolder, UserRepository } from '../../application/ports/user-repository.js';
import { DomainError, type Ban, type User, type UserId, type Username } from '../../domain/index.js';
import { inTransaction } from './in-transaction.js';
import { forgetMember } from './sqlite-group-log.js';
import { isUniqueViolation } from './is-unique-violation.js';
import { paged } from './paged.js';

export interface UserRow {
  id: number;
  username: string;
  password_hash: string;
  is_admin: number | boolean;
  token_hash: string | null;
  token_issued_at: number | string | null;
  banned_by: number | null;
  banned_at: number | string | null;
  created_at: number | string;
}

function toRow(user: NewUser): Omit<UserRow, 'id'> {
  return {
    username: user.username,
    password_hash: user.passwordHash,
    is_admin: false,
    token_hash: null,
    token_issued_at: null,
    banned_by: null,
    banned_at: null,
    created_at: user.createdAt.getTime(),
  };
}

// SQLite hands booleans back as 0/1 and PostgreSQL bigints as strings.
function fromRow(row: UserRow): User {
  return {
    id: Number(row.id),
    username: row.username as Username,
    passwordHash: row.password_hash,
    isAdmin: Boolean(row.is_admin),
    ban: row.banned_at === null ? null : { by: row.banned_by === null ? null : Number(row.banned_by), at: new Date(Number(row.banned_at)) },
    createdAt: new Date(Number(row.created_at)),
  };
}

/** The friendship adapter reads users through this too. */
export { fromRow as userFromRow };

export class KnexUserRepository implements UserRepository {
  constructor(private readonly db: Knex | Knex.Transaction) {}

  async add(user: NewUser): Promise<User> {
    const row = toRow(user);
    try {
      const [inserted] = (await this.db('users').insert(row).returning('id')) as { id: number }[];
      return fromRow({ ...row, id: inserted!.id });
    } catch (error) {
      if (isUniqueViolation(error, 'users', ['username'])) {
        throw new DomainError('USERNAME_TAKEN', `the username ${user.username} is taken`);
      }
      throw error;
    }
  }

  async byId(id: UserId): Promise<User | undefined> {
    return this.findOne({ id });
  }

  async byUsername(username: Username): Promise<User | undefined> {
    return this.findOne({ username });
  }

  async byTokenHash(tokenHash: string): Promise<TokenHolder | undefined> {
    const row = await this.db<UserRow>('users').where({ token_hash: tokenHash }).first();
    return row && { user: fromRow(row), issuedAt: new Date(Number(row.token_issued_at)) };
  }

  async all(page?: PageRequest): Promise<User[]> {
    return (await this.db<UserRow>('users').modify(paged('id', page))).map(fromRow);
  }

  async setToken(id: UserId, token: StoredToken | null): Promise<void> {
    await this.db('users').where({ id }).update({ token_hash: token?.hash ?? null, token_issued_at: token?.issuedAt.getTime() ?? null });
  }

  async setAdmin(id: UserId, isAdmin: boolean): Promise<void> {
    await this.db('users').where({ id }).update({ is_admin: isAdmin });
  }

  async setPasswordHash(id: UserId, passwordHash: string): Promise<void> {
    await this.db('users').where({ id }).update({ password_hash: passwordHash });
  }

  /**
   * The foreign keys (ON DELETE CASCADE / SET NULL) remove and detach the rest in the same
   * statement, but for the user's queue, which has no key (migration 0005) and is deleted here
   * in the same transaction, with their cursors of SQLite's group log: their groups are swept
   * at once, a message they held back going if the others have acknowledged it. The user goes first: on PostgreSQL that waits for any write that
   * found them (FOR KEY SHARE) to commit, and every later one finds them gone, so no delivery
   * to them is stored after their queue is deleted.
   */
  async remove(id: UserId): Promise<boolean> {
    const work = async (db: Knex | Knex.Transaction) => {
      if ((await db('users').where({ id }).delete()) === 0) return false;
      await db('offline_messages').where({ recipient_id: id }).delete();
      await forgetMember(db, id);
      return true;
    };
    return inTransaction(this.db, work);
  }

  async setBan(id: UserId, ban: Ban | null): Promise<void> {
    await this.db('users').where({ id }).update({ banned_by: ban?.by ?? null, banned_at: ban?.at.getTime() ?? null });
  }

  private async findOne(where: Partial<UserRow>): Promise<User | undefined> {
    const row = await this.db<UserRow>('users').where(where).first();
    return row && fromRow(row);
  }
}
