import type { LoginRecord } from '../../application/ports/login-log.js';
import type { Friendship, Group, Membership, OfflineMessage, User } from '../../domain/index.js';

/**
 * Everything the in-memory adapters hold. Records are never mutated, only replaced, so a
 * record handed out can never change under its reader, and a snapshot is a copy of arrays.
 */
export class MemoryStore {
  users: { user: User; tokenHash: string | null }[] = [];
  groups: Group[] = [];
  members: Membership[] = [];
  friendships: Friendship[] = [];
  messages: OfflineMessage[] = [];
  logins: LoginRecord[] = [];
  /** Last id handed out per table; like SQLite AUTOINCREMENT, ids are never reused. */
  sequences = { users: 0, groups: 0, messages: 0 };

  snapshot(): MemoryStore {
    const copy = new MemoryStore();
    copy.users = [...this.users];
    copy.groups = [...this.groups];
    copy.members = [...this.members];
    copy.friendships = [...this.friendships];
    copy.messages = [...this.messages];
    copy.logins = [...this.logins];
    copy.sequences = { ...this.sequences };
    return copy;
  }

  restore(snapshot: MemoryStore): void {
    Object.assign(this, snapshot.snapshot());
  }
}
