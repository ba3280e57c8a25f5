import type { LoginRecord } from '../../application/ports/login-log.js';
import type { PageRequest } from '../../application/ports/page-request.js';
import type { Friendship, Group, GroupId, Membership, MessageId, OfflineMessage, User, UserId } from '../../domain/index.js';

export interface UserRecord {
  user: User;
  token: { hash: string; issuedAt: Date } | null;
}

/** A row of `client_message_ids`. */
export interface ClientMessageRecord {
  readonly senderId: UserId;
  readonly clientMsgId: string;
  readonly firstId: MessageId | null;
  readonly recipients: number;
  readonly full: UserId[];
  readonly sentAt: Date;
}

/** The in-memory tables: plain data, so a unit of work can snapshot them with structuredClone. */
export interface MemoryTables {
  users: UserRecord[];
  groups: Group[];
  members: Membership[];
  friendships: Friendship[];
  /** Kept in id order. */
  messages: OfflineMessage[];
  /** Kept in the order recorded. */
  logins: LoginRecord[];
  /** What each send that carried a client message id stored, as `client_message_ids`. */
  clientMessageIds: ClientMessageRecord[];
  /** The last id handed out per table: like SQLite AUTOINCREMENT, an id is never handed out twice. */
  sequences: { users: number; groups: number; messages: number };
}

/** Runs `body` on the tables once it may, and resolves with a deep copy of what it returns. */
export type MemoryAccess = <T>(body: (tables: MemoryTables) => T) => Promise<T>;

/** Everything the in-memory adapters hold, shared by all of them. */
export class MemoryStore {
  tables: MemoryTables = {
    users: [],
    groups: [],
    members: [],
    friendships: [],
    messages: [],
    logins: [],
    clientMessageIds: [],
    sequences: { users: 0, groups: 0, messages: 0 },
  };
  private tail: Promise<unknown> = Promise.resolve();

  /** Runs `work` after everything queued before it has settled, the way SQLite's single connection queues the Knex adapters. */
  exclusive<T>(work: () => Promise<T>): Promise<T> {
    const result = this.tail.then(work);
    this.tail = result.catch(() => undefined);
    return result;
  }

  /** How repositories reach the tables outside a unit of work: each call waits for the unit under way. */
  readonly access: MemoryAccess = (body) => this.exclusive(async () => structuredClone(body(this.tables)));
}

/** Refuses a row that points at a missing user or group, as the SQL schema's foreign keys do. */
export function assertReferences(
  tables: MemoryTables,
  refs: { users?: readonly (UserId | null)[]; groups?: readonly (GroupId | null)[] },
): void {
  const users = new Set(tables.users.map((record) => record.user.id));
  const groups = new Set(tables.groups.map((group) => group.id));
  const missing = [
    ...(refs.users ?? []).filter((id) => id !== null && !users.has(id)).map((id) => `user ${id}`),
    ...(refs.groups ?? []).filter((id) => id !== null && !groups.has(id)).map((id) => `group ${id}`),
  ];
  if (missing.length > 0) throw new Error(`FOREIGN KEY constraint failed: no ${missing.join(', no ')}`);
}

/** One page of rows already ordered by id, as PageRequest says; every row when `page` is left out. */
export function pageOf<T>(rows: readonly T[], id: (row: T) => number, page: PageRequest | undefined): T[] {
  if (!page) return [...rows];
  return rows.filter((row) => id(row) > (page.after ?? 0)).slice(0, page.limit);
}
