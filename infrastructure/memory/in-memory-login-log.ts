import type { LoginLog, LoginRecord } from '../../application/ports/login-log.js';
import type { UserId } from '../../domain/index.js';
import type { MemoryStore } from './memory-store.js';

export class InMemoryLoginLog implements LoginLog {
  constructor(private readonly store: MemoryStore) {}

  async record(entry: LoginRecord): Promise<void> {
    this.store.logins.push(entry);
  }

  async recentFor(userId: UserId, limit: number): Promise<LoginRecord[]> {
    const mine = this.store.logins.map((entry, order) => ({ entry, order })).filter(({ entry }) => entry.userId === userId);
    mine.sort((a, b) => b.entry.at.getTime() - a.entry.at.getTime() || b.order - a.order);
    return mine.slice(0, limit).map(({ entry }) => entry);
  }
}
