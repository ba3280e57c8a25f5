import type { Knex } from 'knex';
import type { LoginLog, LoginRecord } from '../../application/ports/login-log.js';
import type { UserId } from '../../domain/index.js';

export class KnexLoginLog implements LoginLog {
  constructor(private readonly db: Knex | Knex.Transaction) {}

  async record(entry: LoginRecord): Promise<void> {
    await this.db('user_login_log').insert({ user_id: entry.userId, ip: entry.ip, logged_in_at: entry.at.getTime() });
  }

  async recentFor(userId: UserId, limit: number): Promise<LoginRecord[]> {
    const rows = await this.db('user_login_log')
      .where({ user_id: userId })
      .orderBy([{ column: 'logged_in_at', order: 'desc' }, { column: 'id', order: 'desc' }])
      .limit(limit);
    return rows.map((row: { user_id: number; ip: string; logged_in_at: number | string }) => ({
      userId: Number(row.user_id),
      ip: row.ip,
      at: new Date(Number(row.logged_in_at)),
    }));
  }
}
