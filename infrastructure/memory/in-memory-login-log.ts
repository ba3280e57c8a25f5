import type { LoginLog, LoginRecord } from '../../application/ports/login-log.js';
import type { UserId } from '../../domain/index.js';
import { assertReferences, type MemoryAccess, type MemoryStore } from './memory-store.js';

export class InMemoryLoginLog implements LoginLog {
  constructor(store: MemoryStore, private readonly access: MemoryAccess = store.access) {}

  record(entry: LoginRecord): Promise<void> {
    return this.access((tables) => {
      assertReferences(tables, { users: [entry.userId] });
      tables.logins.push({ userId: entry.userId, ip: entry.ip, at: new Date(entry.at.getTime()) });
    });
  }

  recentFor(userId: UserId, limit: number): Promise<LoginRecord[]> {
    return this.access((tables) =>
      tables.logins
        .map((entry, order) => ({ entry, order }))
        .filter(({ entry }) => entry.userId === userId)
        .sort((a, b) => b.entry.at.getTime() - a.entry.at.getTime() || b.order - a.order)
        .slice(0, limit)
        .map(({ entry }) => entry),
    );
  }
}
