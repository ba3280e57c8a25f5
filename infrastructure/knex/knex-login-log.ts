import type { Knex } from 'knex';
import type { LoginLog, LoginRecord } from '../../application/ports/login-log.js';
import type { UserId } from '../../domain/index.js';

interface LoginRow {
  id: number;
  user_id: number;
  ip: string;
  logged_in_at: number | string;
}

function toRow(entry: LoginRecord): Omit<LoginRow, 'id'> {
  return { user_id: entry.userId, ip: entry.ip, logged_in_at: entry.at.getTime() };
}

function fromRow(row: LoginRow): LoginRecord {
  return { userId: Number(row.user_id), ip: row.ip, at: new Date(Number(row.logged_in_at)) };
}

export class KnexLoginLog implements LoginLog {
  constructor(private readonly db: Knex | Knex.Transaction) {}

  async record(entry: LoginRecord): Promise<void> {
    await this.db('user_login_log').insert(toRow(entry));
  }

  async recentFor(userId: UserId, limit: number): Promise<LoginRecord[]> {
    const rows = await this.db<LoginRow>('user_login_log')
      .where({ user_id: userId })
      .orderBy([{ column: 'logged_in_at', order: 'desc' }, { column: 'id', order: 'desc' }])
      .limit(limit);
    return rows.map(fromRow);
  }
}
