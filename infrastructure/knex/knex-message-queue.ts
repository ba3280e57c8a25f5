import type { Knex } from 'knex';
import { goneError, withinQuota, withoutRemoved, type Delivery, type MessageQueue, type MessageSend, type SendReceipt } from '../../application/ports/message-queue.js';
import { DomainError, type ChatMessage, type Correspondent, type GroupRef, type MessageId, type NoticeTopic, type OfflineMessage, type UserId } from '../../domain/index.js';
import { inTransaction } from './in-transaction.js';
import { isPostgres } from './is-postgres.js';

/**
 * Rows per statement. Knex writes a multi-row SQLite insert as `SELECT … UNION ALL SELECT …`,
 * and SQLite allows at most 500 terms in a compound SELECT; 500 rows × 7 columns also stays
 * far below its 32766 bound variables.
 */
const ROWS_PER_STATEMENT = 500;

export interface MessageRow {
  id: number;
  recipient_id: number;
  kind: ChatMessage['kind'];
  sender_id: number | null;
  group_id: number | null;
  body: string;
  payload: string;
  created_at: number | string;
}

/** What `body` and the columns do not hold. */
interface Payload {
  from: Correspondent | null;
  fromAdmin?: boolean;
  group?: GroupRef | null;
  topic?: NoticeTopic;
}

const correspondent = (from: Correspondent | null): Correspondent | null => from && { id: from.id, username: from.username };
const groupRef = (group: GroupRef | null): GroupRef | null => group && { id: group.id, name: group.name, creator: group.creator };

/**
 * A notice that a group was deleted may be queued after the group is gone, so it does not
 * point at the row; its payload still names the group.
 */
function referencedGroupId(message: ChatMessage): number | null {
  if (message.kind === 'private' || (message.kind === 'notice' && message.topic === 'group-deleted')) return null;
  return message.group?.id ?? null;
}

/** Most senders whose private payload `privatePayload` keeps; past it, it starts afresh. */
const PRIVATE_PAYLOADS = 4096;
/** By sender id, the payload text of their private messages, with the name and flag it was made from. */
const privatePayloads = new Map<UserId, { readonly username: string; readonly fromAdmin: boolean; readonly json: string }>();

/**
 * A private message's payload, which depends only on its sender: made once per sender rather
 * than once per message (a sender's burst of messages stores the same text each time).
 */
function privatePayload(from: Correspondent, fromAdmin: boolean): string {
  const known = privatePayloads.get(from.id);
  if (known && known.username === from.username && known.fromAdmin === fromAdmin) return known.json;
  const json = JSON.stringify({ from: correspondent(from), fromAdmin } satisfies Payload);
  if (privatePayloads.size >= PRIVATE_PAYLOADS) privatePayloads.clear();
  privatePayloads.set(from.id, { username: from.username, fromAdmin, json });
  return json;
}

function payloadOf(message: ChatMessage): string {
  if (message.kind === 'private') return privatePayload(message.from, message.fromAdmin);
  const payload: Payload =
    message.kind === 'notice'
      ? { from: correspondent(message.from), group: groupRef(message.group), topic: message.topic }
      : { from: correspondent(message.from), fromAdmin: message.fromAdmin, group: groupRef(message.group) };
  return JSON.stringify(payload);
}

export function toRow({ recipientId, message }: Delivery): Omit<MessageRow, 'id'> {
  return {
    recipient_id: recipientId,
    kind: message.kind,
    sender_id: message.from?.id ?? null,
    group_id: referencedGroupId(message),
    body: message.text,
    payload: payloadOf(message),
    created_at: message.sentAt.getTime(),
  };
}

export function fromRow(row: MessageRow): OfflineMessage {
  const payload = JSON.parse(row.payload) as Payload;
  const { from } = payload;
  const text = row.body;
  const sentAt = new Date(Number(row.created_at));
  let message: ChatMessage;
  if (row.kind === 'notice') {
    message = { kind: 'notice', topic: payload.topic!, from, group: payload.group ?? null, text, sentAt };
  } else if (row.kind === 'group') {
    message = { kind: 'group', from: from!, fromAdmin: payload.fromAdmin === true, group: payload.group!, text, sentAt };
  } else {
    message = { kind: 'private', from: from!, fromAdmin: payload.fromAdmin === true, text, sentAt };
  }
  return { id: Number(row.id), recipientId: Number(row.recipient_id), message };
}

/** A row of `client_message_ids`: what the first send under a client message id stored. */
export interface ClientMessageRow {
  message_id: number | null;
  recipients: number;
  full: string;
  sent_at: number | string;
}

/** The receipt a repeat answers with. */
export function repeatOf(row: ClientMessageRow): SendReceipt {
  const firstId = row.message_id === null ? null : Number(row.message_id);
  return { repeat: true, queued: [], firstId, recipients: Number(row.recipients), full: JSON.parse(row.full) as UserId[], sentAt: new Date(Number(row.sent_at)) };
}

/** The receipt of a send that stored `queued`. */
export function receiptOf(message: MessageSend, queued: OfflineMessage[], full: UserId[]): SendReceipt {
  return { repeat: false, queued, firstId: queued[0]?.id ?? null, recipients: queued.length, full, sentAt: message.sentAt };
}

/** The `client_message_ids` row that records a send, or nothing when it had no key or stored nothing. */
export function clientMessageRow(message: MessageSend, receipt: SendReceipt): (ClientMessageRow & { sender_id: number; client_msg_id: string }) | undefined {
  if (!message.key || receipt.recipients === 0) return undefined;
  return {
    sender_id: message.key.senderId,
    client_msg_id: message.key.clientMsgId,
    message_id: receipt.firstId,
    recipients: receipt.recipients,
    full: JSON.stringify(receipt.full),
    sent_at: receipt.sentAt.getTime(),
  };
}

/** Counts of waiting deliveries while one commit is written: those known before it, and what it changed. */
export class CommitCounts {
  readonly changed = new Map<UserId, number>();

  constructor(private readonly known: ReadonlyMap<UserId, number> = new Map()) {}

  get(recipientId: UserId): number | undefined {
    return this.changed.get(recipientId) ?? this.known.get(recipientId);
  }

  set(recipientId: UserId, count: number): void {
    this.changed.set(recipientId, count);
  }

  /** Takes what acknowledgements removed off the known counts. */
  removed(acknowledgements: readonly { readonly recipientId: UserId }[], removed: readonly MessageId[][]): void {
    acknowledgements.forEach(({ recipientId }, i) => {
      const count = this.get(recipientId);
      if (count !== undefined) this.set(recipientId, Math.max(0, count - removed[i]!.length));
    });
  }
}

/** The first key of the advisory locks on recipients' queues: any number, the same on every node. */
const QUEUE_LOCK = 0x71756575; // 'queu'

/**
 * On PostgreSQL, takes a transaction-long advisory lock on each recipient's queue, in id
 * order so two transactions cannot deadlock over them, before anything is counted or inserted
 * for them; `locked` holds those this transaction has already. Transactions writing to one
 * recipient, from any node, then take their ids and commit one after the other: the ids a
 * recipient sees committed only ever grow (a replay that read up to id n never misses a lower
 * id committed later), and a count taken under the lock stays true until the commit (the
 * quota). SQLite has one writer at a time, so it needs none.
 */
async function lockQueues(db: Knex | Knex.Transaction, recipientIds: readonly UserId[], locked: Set<UserId>): Promise<void> {
  if (!isPostgres(db)) return;
  const ids = [...new Set(recipientIds)].filter((id) => !locked.has(id)).sort((a, b) => a - b);
  if (ids.length === 0) return;
  await db.raw('select count(pg_advisory_xact_lock(?, r)) from unnest(?::int[]) as r', [QUEUE_LOCK, `{${ids.join(',')}}`]);
  for (const id of ids) locked.add(id);
}

/** Ids of the users (senders and recipients) and of the groups that deliveries name. */
export interface References {
  readonly users: Set<UserId>;
  readonly groups: Set<number>;
}

/**
 * The senders, recipients and groups the deliveries name. `offline_messages` has no foreign
 * keys (migrations 0004 and 0005): each is looked up once per write instead of once per row,
 * and a group message leaves out a recipient removed meanwhile (`withoutRemoved`).
 */
export function referencesOf(deliveries: readonly Delivery[]): References {
  const named: References = { users: new Set(), groups: new Set() };
  let last: ChatMessage | undefined;
  for (const { recipientId, message } of deliveries) {
    named.users.add(recipientId);
    if (message === last) continue;
    last = message;
    if (message.from) named.users.add(message.from.id);
    const group = referencedGroupId(message);
    if (group !== null) named.groups.add(group);
  }
  return named;
}

/** Whether a message names a sender or group missing from those found (`present`). */
function namesGone(message: ChatMessage, present: References): boolean {
  const group = referencedGroupId(message);
  return (message.from !== null && !present.users.has(message.from.id)) || (group !== null && !present.groups.has(group));
}

/**
 * The refusal for those deliveries that name a sender or group missing from `present`, if any
 * do. A group message's deliveries share one message, which is looked at once.
 */
function goneAmong(deliveries: readonly Delivery[], present: References): DomainError | undefined {
  let last: ChatMessage | undefined;
  for (const { message } of deliveries) {
    if (message === last) continue;
    last = message;
    if (namesGone(message, present)) return goneError(deliveries.filter((delivery) => namesGone(delivery.message, present)));
  }
  return undefined;
}

/**
 * What of a write may be stored, by the port's rules, given which of the users and groups it
 * names are `present`: the refusal when it names a sender or group that is gone, else its
 * deliveries without recipients removed meanwhile (`withoutRemoved`).
 */
export function deliverable(deliveries: readonly Delivery[], present: References): readonly Delivery[] | DomainError {
  return goneAmong(deliveries, present) ?? withoutRemoved(deliveries, (id) => present.users.has(id));
}

/**
 * Which of `ids` are rows of `table` still, as a foreign key would check. On PostgreSQL the
 * rows found are locked against deletion until the commit (FOR KEY SHARE, the lock a foreign
 * key's check takes); SQLite has one writer at a time.
 */
async function presentAmong(db: Knex | Knex.Transaction, table: 'users' | 'groups', ids: Set<number>): Promise<Set<number>> {
  const present = new Set<number>();
  for (const chunk of chunks([...ids])) {
    const rows = (await db(table).whereIn('id', chunk).forKeyShare().select('id')) as { id: number }[];
    for (const row of rows) present.add(Number(row.id));
  }
  return present;
}

/**
 * Locks what a write to the queue depends on and finds which of the users and groups its
 * deliveries name still exist, in the one order that cannot deadlock on PostgreSQL against an
 * account's deletion (which deletes the user's groups, then queues notices to their members,
 * then deletes the user): the groups named first, then the recipients' queues
 * (`lockQueues`, the advisory locks the notices take too), then the users. A write waiting on
 * a group being deleted so holds no queue, and one waiting on a queue holds no user.
 */
async function lockReferences(db: Knex | Knex.Transaction, deliveries: readonly Delivery[], queues: () => Promise<void>): Promise<References> {
  const named = referencesOf(deliveries);
  const groups = await presentAmong(db, 'groups', named.groups);
  await queues();
  return { users: await presentAmong(db, 'users', named.users), groups };
}

function chunks<T>(items: readonly T[]): T[][] {
  const result: T[][] = [];
  for (let i = 0; i < items.length; i += ROWS_PER_STATEMENT) result.push(items.slice(i, i + ROWS_PER_STATEMENT));
  return result;
}

/**
 * The queue as rows of `offline_messages`, one per delivery, through Knex: PostgreSQL's, and
 * SQLite's within a unit of work (which only enqueues notices, always rows). Its reads see rows
 * only: the server's queue on SQLite reads through `sqliteQueueReads`, which sees the group log
 * the SQLite writer keeps as well (sqlite-group-log.ts).
 */
export class KnexMessageQueue implements MessageQueue {
  /** Recipients whose queue this transaction has locked (PostgreSQL only). */
  private readonly locked = new Set<UserId>();

  /** `queuedTo` hears which recipients each enqueue wrote to: a unit of work tells the quota counts after commit. */
  constructor(
    private readonly db: Knex | Knex.Transaction,
    private readonly queuedTo?: (recipientIds: readonly UserId[]) => void,
  ) {}

  async enqueue(deliveries: readonly Delivery[]): Promise<OfflineMessage[]> {
    return this.insert(deliveries, true);
  }

  /**
   * `enqueue`, checking the senders, groups and recipients named (`check`) unless the caller
   * has (`sendEach`, for all its messages at once).
   */
  private async insert(all: readonly Delivery[], check: boolean): Promise<OfflineMessage[]> {
    if (all.length === 0) return [];
    const insert = async (db: Knex | Knex.Transaction) => {
      const queues = () => lockQueues(db, all.map((delivery) => delivery.recipientId), db === this.db ? this.locked : new Set());
      let deliveries = all;
      if (check) {
        const kept = deliverable(all, await lockReferences(db, all, queues));
        if (kept instanceof DomainError) throw kept;
        deliveries = kept;
      } else {
        await queues();
      }
      const rows = deliveries.map(toRow);
      const ids: number[] = [];
      for (const chunk of chunks(rows)) {
        const inserted = (await db('offline_messages').insert(chunk).returning('id')) as { id: number }[];
        // One statement numbers its rows in the order given; RETURNING's own order is not promised.
        ids.push(...inserted.map((row) => Number(row.id)).sort((a, b) => a - b));
      }
      return rows.map((row, i) => fromRow({ ...row, id: ids[i]! }));
    };
    // The check and the inserts (and, on PostgreSQL, the locks) share one transaction.
    const queued = await inTransaction(this.db, insert);
    this.queuedTo?.(queued.map((delivery) => delivery.recipientId));
    return queued;
  }

  async send(message: MessageSend): Promise<SendReceipt> {
    const work = async (db: Knex | Knex.Transaction) => {
      const [sent] = await new KnexMessageQueue(db, this.queuedTo).sendEach([message], new CommitCounts());
      if (sent instanceof DomainError) throw sent;
      return sent!;
    };
    return inTransaction(this.db, work);
  }

  /**
   * `send` for several messages, in order. `counts` holds what waits per recipient where
   * known; the others are counted first, together, and every count is kept up to date with
   * what is stored. A message naming a sender or group that is gone stores nothing and gets
   * its refusal in place of a receipt, as does a private one to a recipient removed meanwhile
   * (a group message leaves such a recipient out); the others are stored all the same. Call
   * it inside a transaction.
   */
  async sendEach(messages: readonly MessageSend[], counts: CommitCounts): Promise<(SendReceipt | DomainError)[]> {
    const receipts: (SendReceipt | DomainError)[] = [];
    const recipients = [...new Set(messages.flatMap((message) => message.deliveries.map((delivery) => delivery.recipientId)))];
    // Every queue this batch may write to, locked at once and in order, before any is counted.
    const present = await lockReferences(this.db, messages.flatMap((message) => message.deliveries), () => lockQueues(this.db, recipients, this.locked));
    await this.countInto(counts, recipients.filter((id) => counts.get(id) === undefined));
    for (const message of messages) {
      const { key } = message;
      const first = key && ((await this.db('client_message_ids').where({ sender_id: key.senderId, client_msg_id: key.clientMsgId }).first()) as ClientMessageRow | undefined);
      if (first) {
        receipts.push(repeatOf(first));
        continue;
      }
      const deliveries = deliverable(message.deliveries, present);
      if (deliveries instanceof DomainError) {
        receipts.push(deliveries);
        continue;
      }
      const { taken, full } = withinQuota(deliveries, message.maxQueued, (id) => counts.get(id)!, (id) => counts.set(id, counts.get(id)! + 1));
      const receipt = receiptOf(message, await this.insert(taken, false), full);
      const row = clientMessageRow(message, receipt);
      if (row) await this.db('client_message_ids').insert(row);
      receipts.push(receipt);
    }
    return receipts;
  }

  /** Counts what waits for each of these recipients, in one statement per 500. */
  private async countInto(counts: CommitCounts, recipientIds: readonly UserId[]): Promise<void> {
    for (const chunk of chunks(recipientIds)) {
      const rows = (await this.db('offline_messages').whereIn('recipient_id', chunk).groupBy('recipient_id').select('recipient_id').count({ count: '*' })) as {
        recipient_id: number;
        count: number | string;
      }[];
      const found = new Map(rows.map((row) => [Number(row.recipient_id), Number(row.count)]));
      for (const id of chunk) counts.set(id, found.get(id) ?? 0);
    }
  }

  async pendingFor(recipientId: UserId, options: { after?: MessageId; limit?: number } = {}): Promise<OfflineMessage[]> {
    const query = this.db<MessageRow>('offline_messages')
      .where('recipient_id', recipientId)
      .andWhere('id', '>', options.after ?? 0)
      .orderBy('id');
    return (await (options.limit === undefined ? query : query.limit(options.limit))).map(fromRow);
  }

  async acknowledge(recipientId: UserId, ids: readonly MessageId[]): Promise<MessageId[]> {
    if (ids.length === 0) return [];
    const work = async (db: Knex | Knex.Transaction) => (await new KnexMessageQueue(db).acknowledgeEach([{ recipientId, ids }]))[0]!;
    return inTransaction(this.db, work);
  }

  /**
   * `acknowledge` for several recipients at once, in two statements per 500 ids: which of the
   * ids are whose, then one delete. Returns, for each request in order, the ids it removed,
   * ascending; an id two requests name goes to the first. Call it inside a transaction.
   */
  async acknowledgeEach(requests: readonly { readonly recipientId: UserId; readonly ids: readonly MessageId[] }[]): Promise<MessageId[][]> {
    // Knex's SQLite dialect drops RETURNING from a delete, so find the rows, then delete them.
    const owners = new Map<MessageId, UserId>();
    // The wire takes any safe integer; one below 1 names nothing. Every safe integer fits the 64-bit id column.
    const asked = [...new Set(requests.flatMap((request) => request.ids))].filter((id) => id >= 1 && id <= Number.MAX_SAFE_INTEGER);
    for (const chunk of chunks(asked)) {
      const rows = (await this.db('offline_messages').whereIn('id', chunk).select('id', 'recipient_id')) as { id: number; recipient_id: number }[];
      for (const row of rows) owners.set(Number(row.id), Number(row.recipient_id));
    }
    const removed = requests.map(({ recipientId, ids }) => {
      const mine = [...new Set(ids)].filter((id) => owners.get(id) === recipientId && owners.delete(id));
      return mine.sort((a, b) => a - b);
    });
    for (const chunk of chunks(removed.flat())) await this.db('offline_messages').whereIn('id', chunk).del();
    return removed;
  }

  async countFor(recipientId: UserId): Promise<number> {
    const [row] = (await this.db('offline_messages').where('recipient_id', recipientId).count({ count: '*' })) as { count: number | string }[];
    return Number(row!.count);
  }

  async countAll(): Promise<number> {
    const [row] = (await this.db('offline_messages').count({ count: '*' })) as { count: number | string }[];
    return Number(row!.count);
  }
}
