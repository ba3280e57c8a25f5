import type { Knex } from 'knex';
import type { MessageQueue } from '../../application/ports/message-queue.js';
import { distinctIds, type MessageId, type UserId } from '../../domain/index.js';
import { fromRow, type MessageRow } from './knex-message-queue.js';
import { isPostgres } from './is-postgres.js';

/** The part of a better-sqlite3 `Statement` the SQLite queue uses. */
export interface SqliteStatement {
  run(...parameters: unknown[]): { changes: number; lastInsertRowid: number | bigint };
  get(...parameters: unknown[]): unknown;
  all(...parameters: unknown[]): unknown[];
  iterate(...parameters: unknown[]): IterableIterator<unknown>;
  /** Makes `get`, `all` and `iterate` give each row's first column. */
  pluck(): SqliteStatement;
}

/** The part of a better-sqlite3 `Database` the SQLite queue uses. */
export interface SqliteDatabase {
  prepare(sql: string): SqliteStatement;
  /** A function running `work` in a transaction begun with BEGIN (deferred), or with BEGIN IMMEDIATE through `immediate`. */
  transaction<A extends unknown[], R>(work: (...args: A) => R): ((...args: A) => R) & { immediate(...args: A): R };
}

/** Bytes per member in a group message's list of recipients: ten digits and a comma. */
const KEY_WIDTH = 11;
/** The first user id too long for an entry: a message to such a member is stored as rows. */
const LARGEST_KEY = 10 ** (KEY_WIDTH - 1);

/**
 * A member's entry in a message's list of recipients. Entries are fixed-width and only a
 * comma ends one, so a key is found only where an entry starts (`instr` cannot match across
 * two), and the member at position i is the entry at byte 11 × i. The list is a BLOB, so that
 * reading an entry or the list's length costs the same however long it is.
 */
export const memberKey = (userId: UserId): string => `${String(userId).padStart(KEY_WIDTH - 1, '0')},`;

/** The same key, in SQL, as a BLOB, for a column holding a user id. */
const keyOf = (column: string) => `cast(printf('%010d,', ${column}) as blob)`;
const KEY = 'cast(:key as blob)';

/**
 * The messages of a cursor's group between it and its member's latest (`until`) that list its
 * member. `instr` over a list of 100 costs about 3 µs a message, so it is kept off the paths of
 * every message: only replays and counts use it.
 */
const pastCursor = (key: string, before = '') =>
  `group_cursors c join group_messages m on m.group_id = c.group_id and m.id > c.through and m.id <= c.until ${before}and instr(m.recipients, ${key}) > 0`;
/** Whether the cursor holds message `m` as acknowledged above a gap. */
const notAckedAbove = "(c.acked = '[]' or m.id not in (select value from json_each(c.acked)))";
/** How many messages cursors hold as acknowledged above a gap. */
const ackedAbove = (where: string) => `(select coalesce(sum(json_array_length(acked)), 0) from group_cursors${where})`;

const STORE = 'insert into group_messages (id, group_id, sender_id, body, payload, created_at, recipients) values (?, ?, ?, ?, ?, ?, ?)';
/**
 * A member's cursor, made just below the first message it is for, or moved on to the latest
 * one it is for (`until`); once per member and group per commit.
 */
const LISTED_IN = `insert into group_cursors (user_id, group_id, through, until) values (?, ?, ?, ?)
  on conflict (user_id, group_id) do update set until = excluded.until`;
const LOWEST = 'select min(id) from group_messages';
/**
 * The group message whose ids an id would be among (the last one that starts at or below it),
 * with how many ids it has and whether the entry at the id's position is the member's.
 */
const FIND = `select id, group_id, length(recipients) / ${KEY_WIDTH} as count, substr(recipients, (:id - id) * ${KEY_WIDTH} + 1, ${KEY_WIDTH}) = ${KEY} as mine
  from group_messages where id <= :id order by id desc limit 1`;
const CURSOR = 'select through, acked from group_cursors where user_id = ? and group_id = ?';
/**
 * How many messages of a group in a range of ids a member did not send. The log holds only
 * messages whose sender is not among their recipients, so those the member is listed in are
 * among them: when as many were acknowledged, every one listing the member was.
 */
const NOT_SENT_BY = 'select count(*) from group_messages where group_id = ? and id > ? and id <= ? and sender_id is not ?';
/** The messages of a group past an id that list a member, in order: what a cursor moves over when the count above does not settle it. */
const LISTING = `select id from group_messages where group_id = ? and id > ? and instr(recipients, cast(? as blob)) > 0 order by id`;
const MOVE = 'update group_cursors set through = ?, acked = ? where user_id = ? and group_id = ?';
/**
 * Deletes a group's messages that every cursor still waiting for one (below its `until`) has
 * passed; when none waits, all of them. A message every member it lists has acknowledged goes,
 * and no other (one a member did not get, or sent, may stay until their cursor passes it).
 */
const SWEEP = `delete from group_messages where group_id = :group and id <= coalesce(
  (select min(through) from group_cursors where group_id = :group and through < until),
  (select max(id) from group_messages where group_id = :group))`;
/**
 * Deletes a group's messages that no waiting cursor covers (between its `through` and its
 * `until`): those SWEEP keeps because a member who left with messages unread, or who was
 * skipped for a full queue, has a cursor below them that they are not for. It looks at every
 * message against every cursor of the group, so it runs once every SWEEPS_PER_GAP_SWEEP sweeps.
 */
const SWEEP_GAPS = `delete from group_messages as m where m.group_id = :group and not exists
  (select 1 from group_cursors c where c.group_id = :group and c.through < m.id and m.id <= c.until)`;
/** A deleted group's cursors, once nothing of it is left to deliver. */
const FORGET = `delete from group_cursors where group_id = :group and not exists (select 1 from groups where id = :group)
  and not exists (select 1 from group_messages where group_id = :group)`;
/**
 * What a sweep of one group runs, in order, with the group's id bound as `:group` (the spelling
 * both better-sqlite3 and Knex's named bindings read).
 */
const SWEEP_STATEMENTS = [SWEEP, SWEEP_GAPS, FORGET] as const;

/** How often a group's sweep also deletes the messages a left member's cursor keeps though they are not for them (SWEEP_GAPS). */
export const SWEEPS_PER_GAP_SWEEP = 64;

/**
 * Sweeps the groups through Knex, in the caller's transaction, after a group's deletion (its
 * cursors go with its last message) or a member's removal, which the sweeps after
 * acknowledgements would otherwise wait for. No-op on PostgreSQL, which keeps no group log.
 */
export async function sweepGroups(db: Knex | Knex.Transaction, groupIds: readonly number[]): Promise<void> {
  if (isPostgres(db)) return;
  for (const group of groupIds) for (const sql of SWEEP_STATEMENTS) await db.raw(sql, { group });
}

/** Deletes a removed user's cursors and sweeps their groups: a message waits only for the members left. */
export async function forgetMember(db: Knex | Knex.Transaction, userId: UserId): Promise<void> {
  if (isPostgres(db)) return;
  const groups = (await db('group_cursors').where({ user_id: userId }).pluck('group_id')) as number[];
  await db('group_cursors').where({ user_id: userId }).delete();
  await sweepGroups(db, groups);
}

const DELETE_ROW = 'delete from offline_messages where id = ? and recipient_id = ?';
const COUNT_FOR = `select (select count(*) from offline_messages where recipient_id = :user)
  + (select count(*) from ${pastCursor(KEY)} where c.user_id = :user) - ${ackedAbove(' where user_id = :user')}`;
const COUNT_ALL = `select (select count(*) from offline_messages) + (select count(*) from ${pastCursor(keyOf('c.user_id'))}) - ${ackedAbove('')}`;
const ROWS_FOR = 'select * from offline_messages where recipient_id = :user and id > :after order by id limit :limit';
const LOG_FOR = `select m.id + (instr(m.recipients, ${KEY}) - 1) / ${KEY_WIDTH} as id, c.user_id as recipient_id, 'group' as kind, m.sender_id, m.group_id, m.body, m.payload, m.created_at
  from ${pastCursor(KEY, `and m.id + length(m.recipients) / ${KEY_WIDTH} > :after `)} where c.user_id = :user and ${notAckedAbove}
  and m.id + (instr(m.recipients, ${KEY}) - 1) / ${KEY_WIDTH} > :after order by id limit :limit`;

interface Cursor {
  readonly userId: UserId;
  readonly groupId: number;
  through: MessageId;
  readonly acked: Set<MessageId>;
  readonly heldAbove: number;
}

/** A group message of the log, as the acknowledgements need it. */
interface Logged {
  readonly first: MessageId;
  readonly groupId: number;
  /** Its recipients, in the order of their ids. */
  readonly recipients: readonly UserId[];
}

/** What one commit stores in the log: its messages, and per group and member the first and the last message listing them. */
export interface CommitLog {
  readonly messages: Logged[];
  readonly members: Map<number, Map<UserId, { first: MessageId; last: MessageId }>>;
}

/**
 * Most group messages a log remembers after their commit, to tell an acknowledged id's message
 * without a statement: S2's members acknowledge within a few hundred messages. One with more
 * recipients weighs more, but this bounds the count; an id not found here is looked up.
 */
const RECENT_MESSAGES = 4096;

/** Most bytes of lists of recipients a log keeps to store again (see `listOf`); all are dropped when a list would pass it. */
export const RECENT_LIST_BYTES = 4 * 2 ** 20;

/**
 * The SQLite queue's group log (ADR 0020): a group message is one row of `group_messages`,
 * listing the members it is for, and member i of its list has delivery id `id + i` (the
 * writer reserves that many ids of the queue's sequence, so ids stay one space with the rows
 * of `offline_messages`). Each member has a cursor per group in `group_cursors`: every message
 * of the group up to `through` that lists them is acknowledged, `acked` holds the messages
 * above it they acknowledged out of order, and `until` is the latest message that lists them.
 * A message goes once every cursor still waiting for something has passed it. The rows of
 * `offline_messages` (private messages, notices) are read and acknowledged alongside, so this
 * is the SQLite queue's whole read and acknowledgement path. What it keeps in memory between
 * calls never goes stale when several processes share the file: this process's latest group
 * messages (a message is never changed) and the last lists of recipients it stored (checked
 * against the recipients before each reuse); everything else is read from the database in the
 * call. Synchronous: call it inside the connection's transaction, or on a connection no one
 * else uses meanwhile.
 */
export class SqliteGroupLog {
  private readonly statements;
  /** The group messages of this process's latest commits, ascending by id. */
  private readonly recent: Logged[] = [];
  /** Sweeps so far, to run SWEEP_GAPS on every SWEEPS_PER_GAP_SWEEP-th. */
  private sweepCount = 0;
  /** Per group and sender, the recipients of the last message stored and their list as stored; `maxListBytes` of lists at most. */
  private readonly lists = new Map<string, { readonly recipients: readonly UserId[]; readonly list: Buffer }>();
  private listBytes = 0;
  private readonly maxListBytes: number;

  /**
   * The rows and the log deliveries waiting for a member, read in one transaction: two
   * statements outside one would each see their own snapshot, and a commit of another process
   * (a shared file) between them could be seen in half.
   */
  private readonly readPending: (parameters: { user: UserId; key: string; after: MessageId; limit: number }) => [MessageRow[], MessageRow[]];

  constructor(connection: SqliteDatabase, options: { readonly maxListBytes?: number } = {}) {
    this.maxListBytes = options.maxListBytes ?? RECENT_LIST_BYTES;
    const prepare = (sql: string) => connection.prepare(sql);
    this.statements = {
      store: prepare(STORE),
      listedIn: prepare(LISTED_IN),
      lowest: prepare(LOWEST).pluck(),
      find: prepare(FIND),
      cursor: prepare(CURSOR),
      notSentBy: prepare(NOT_SENT_BY).pluck(),
      listing: prepare(LISTING).pluck(),
      move: prepare(MOVE),
      sweeps: SWEEP_STATEMENTS.map(prepare) as [SqliteStatement, SqliteStatement, SqliteStatement],
      deleteRow: prepare(DELETE_ROW),
      countFor: prepare(COUNT_FOR).pluck(),
      countAll: prepare(COUNT_ALL).pluck(),
      rowsFor: prepare(ROWS_FOR),
      logFor: prepare(LOG_FOR),
    };
    const { rowsFor, logFor } = this.statements;
    this.readPending = connection.transaction((parameters) => [rowsFor.all(parameters) as MessageRow[], logFor.all(parameters) as MessageRow[]]);
  }

  /**
   * Whether a group message may go in the log: its sender is not among its recipients (see
   * NOT_SENT_BY), and each recipient's id fits an entry of the list (ten digits).
   */
  static takes(senderId: UserId | null, recipients: readonly UserId[]): boolean {
    return recipients.every((id) => id !== senderId && id < LARGEST_KEY);
  }

  /** A commit's record of what it stored; `listedIn` writes its cursors, `committed` remembers its messages. */
  static commitLog(): CommitLog {
    return { messages: [], members: new Map() };
  }

  /** Stores one group message for `recipients`, whose delivery ids are `first`, `first + 1`, … in that order. */
  store(first: MessageId, row: Omit<MessageRow, 'id' | 'recipient_id'>, recipients: readonly UserId[], commit: CommitLog): void {
    const groupId = row.group_id!;
    this.statements.store.run(first, groupId, row.sender_id, row.body, row.payload, row.created_at, this.listOf(groupId, row.sender_id, recipients));
    commit.messages.push({ first, groupId, recipients });
    let members = commit.members.get(groupId);
    if (!members) commit.members.set(groupId, (members = new Map()));
    for (const id of recipients) {
      const seen = members.get(id);
      if (seen) seen.last = first;
      else members.set(id, { first, last: first });
    }
  }

  /**
   * The list of recipients as stored, made again from the last one of the same group and sender
   * when the recipients are the same, as they are for a group's messages one after another (a
   * hundred keys cost more to make than to compare).
   */
  private listOf(groupId: number, senderId: UserId | null, recipients: readonly UserId[]): Buffer {
    const name = `${groupId}:${senderId}`;
    const last = this.lists.get(name);
    if (last && last.recipients.length === recipients.length && last.recipients.every((id, i) => id === recipients[i])) return last.list;
    let keys = '';
    for (const id of recipients) keys += memberKey(id);
    const list = Buffer.from(keys, 'latin1');
    if (last) {
      this.lists.delete(name);
      this.listBytes -= last.list.length;
    }
    if (list.length > this.maxListBytes) return list;
    if (this.listBytes + list.length > this.maxListBytes) {
      this.lists.clear();
      this.listBytes = 0;
    }
    this.lists.set(name, { recipients, list });
    this.listBytes += list.length;
    return list;
  }

  /** Bytes of lists of recipients kept to store again: `maxListBytes` at most. */
  get keptListBytes(): number {
    return this.listBytes;
  }

  /** Makes or moves on the cursors of every member a commit stored messages for: one statement per member and group. */
  listedIn(commit: CommitLog): void {
    for (const [groupId, members] of commit.members) for (const [userId, { first, last }] of members) this.statements.listedIn.run(userId, groupId, first - 1, last);
  }

  /**
   * Remembers the messages of a commit, once it has committed (a commit rolled back gives its
   * ids out again). A message is never changed, and one swept meanwhile is still told
   * correctly (every member it lists has passed it), so what is remembered never goes stale.
   */
  committed(commit: CommitLog): void {
    if (commit.messages.length === 0) return;
    if (this.recent.length + commit.messages.length > RECENT_MESSAGES) this.recent.splice(0, this.recent.length + commit.messages.length - RECENT_MESSAGES / 2);
    for (const message of commit.messages) this.recent.push(message);
  }

  /** The remembered message whose ids include `id`, if any. Ids of the remembered ones ascend (this process numbered them). */
  private recall(id: MessageId): Logged | undefined {
    const { recent } = this;
    let [low, high] = [0, recent.length - 1];
    while (low <= high) {
      const middle = (low + high) >> 1;
      const message = recent[middle]!;
      if (id < message.first) high = middle - 1;
      else if (id >= message.first + message.recipients.length) low = middle + 1;
      else return message;
    }
    return undefined;
  }

  /**
   * Acknowledges, for each request in order, those of its ids that are its recipient's, rows
   * or group deliveries; returns the ids each removed, ascending. An id two requests name goes
   * to the first; ids already acknowledged and others' are ignored. Then moves the cursors and
   * sweeps the groups it touched.
   */
  acknowledge(requests: readonly { readonly recipientId: UserId; readonly ids: readonly MessageId[] }[]): MessageId[][] {
    const { lowest, deleteRow } = this.statements;
    const lowestGroupId = requests.length > 0 ? (lowest.get() as number | null) : null;
    const cursors = new Map<string, Cursor>();
    const removed = requests.map(({ recipientId, ids }) => {
      const mine: MessageId[] = [];
      // A client acknowledges a run of one group's messages: the cursor of the last is most often the next's.
      let cursor: Cursor | undefined;
      for (const id of distinctIds(ids)) {
        if (lowestGroupId !== null && id >= lowestGroupId) {
          const message = this.groupMessageOf(id, recipientId);
          if (message) {
            if (!message.mine) continue;
            if (cursor?.groupId !== message.groupId) cursor = this.cursorOf(cursors, recipientId, message.groupId);
            if (!cursor || message.first <= cursor.through || cursor.acked.has(message.first)) continue;
            cursor.acked.add(message.first);
            mine.push(id);
            continue;
          }
        }
        if (deleteRow.run(id, recipientId).changes > 0) mine.push(id);
      }
      return mine.sort((a, b) => a - b);
    });
    const groups = new Set<number>();
    for (const cursor of cursors.values()) {
      if (cursor.acked.size === cursor.heldAbove) continue;
      this.advance(cursor);
      groups.add(cursor.groupId);
    }
    for (const group of groups) this.sweep(group);
    return removed;
  }

  /** How many deliveries wait for the user, rows and group messages. */
  countFor(userId: UserId): number {
    return this.statements.countFor.get({ user: userId, key: memberKey(userId) }) as number;
  }

  /** How many deliveries wait for everyone. */
  countAll(): number {
    return this.statements.countAll.get() as number;
  }

  /** What waits for the user, rows and group deliveries, oldest first: at most `limit` after id `after`. */
  pendingFor(userId: UserId, after: MessageId, limit: number): MessageRow[] {
    const [rows, logged] = this.readPending({ user: userId, key: memberKey(userId), after, limit });
    if (logged.length === 0) return rows;
    const merged = [...rows, ...logged].sort((a, b) => a.id - b.id);
    return limit < 0 ? merged : merged.slice(0, limit);
  }

  /** The group message whose ids include `id`, and whether that id is the member's; none if it is not a group delivery. */
  private groupMessageOf(id: MessageId, userId: UserId): { first: MessageId; groupId: number; mine: boolean } | undefined {
    const known = this.recall(id);
    if (known) return { first: known.first, groupId: known.groupId, mine: known.recipients[id - known.first] === userId };
    const found = this.statements.find.get({ id, key: memberKey(userId) }) as { id: number; group_id: number; count: number; mine: number } | undefined;
    return found && id < found.id + found.count ? { first: found.id, groupId: found.group_id, mine: found.mine === 1 } : undefined;
  }

  private cursorOf(cursors: Map<string, Cursor>, userId: UserId, groupId: number): Cursor | undefined {
    const name = `${userId}:${groupId}`;
    let cursor = cursors.get(name);
    if (!cursor) {
      const row = this.statements.cursor.get(userId, groupId) as { through: number; acked: string } | undefined;
      if (!row) return undefined;
      const acked = new Set(row.acked === '[]' ? [] : (JSON.parse(row.acked) as MessageId[]));
      cursor = { userId, groupId, through: row.through, acked, heldAbove: acked.size };
      cursors.set(name, cursor);
    }
    return cursor;
  }

  /**
   * Moves the cursor over the run of messages for its member acknowledged just past it, and
   * writes it. Usually that is all of them (a client acknowledges in order), which one count
   * of the messages in between shows; otherwise the messages listing the member are read in order.
   */
  private advance(cursor: Cursor): void {
    let highest = 0;
    for (const id of cursor.acked) if (id > highest) highest = id;
    if (this.statements.notSentBy.get(cursor.groupId, cursor.through, highest, cursor.userId) === cursor.acked.size) {
      cursor.through = highest;
      cursor.acked.clear();
    } else {
      for (const id of this.statements.listing.iterate(cursor.groupId, cursor.through, memberKey(cursor.userId)) as IterableIterator<MessageId>) {
        if (!cursor.acked.delete(id)) break;
        cursor.through = id;
      }
    }
    const acked = cursor.acked.size === 0 ? '[]' : JSON.stringify([...cursor.acked].sort((a, b) => a - b));
    this.statements.move.run(cursor.through, acked, cursor.userId, cursor.groupId);
  }

  /** Deletes what every member of the group has acknowledged; a deleted group's cursors go with its last message. */
  private sweep(groupId: number): void {
    const [sweep, sweepGaps, forget] = this.statements.sweeps;
    const group = { group: groupId };
    sweep.run(group);
    if (++this.sweepCount % SWEEPS_PER_GAP_SWEEP === 0) sweepGaps.run(group);
    forget.run(group);
  }
}

const logs = new WeakMap<SqliteDatabase, SqliteGroupLog>();

/** The group log of a connection, its statements prepared once. */
export function groupLogOf(connection: SqliteDatabase): SqliteGroupLog {
  let log = logs.get(connection);
  if (!log) logs.set(connection, (log = new SqliteGroupLog(connection)));
  return log;
}

/** Runs `work` on the connection Knex pools (SQLite has one), synchronously, between its other users. */
export async function onConnection<R>(db: Knex, work: (connection: SqliteDatabase) => R): Promise<R> {
  const connection = (await db.client.acquireConnection()) as SqliteDatabase;
  try {
    return work(connection);
  } finally {
    await db.client.releaseConnection(connection);
  }
}

/** The SQLite queue's reads: rows and the group log together, each in one snapshot (one statement, or one read transaction). */
export function sqliteQueueReads(db: Knex): Pick<MessageQueue, 'pendingFor' | 'countFor' | 'countAll'> {
  return {
    pendingFor: (recipientId, options = {}) => onConnection(db, (connection) => groupLogOf(connection).pendingFor(recipientId, options.after ?? 0, options.limit ?? -1).map(fromRow)),
    countFor: (recipientId) => onConnection(db, (connection) => groupLogOf(connection).countFor(recipientId)),
    countAll: () => onConnection(db, (connection) => groupLogOf(connection).countAll()),
  };
}
