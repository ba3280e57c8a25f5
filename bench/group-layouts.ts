/**
 * What SQLite alone spends on group fan-out under storage layouts:
 * `node dist/bench/group-layouts.js [--layout rows|cursors|log] [--rounds N] [--messages PER_ROUND]`.
 *
 * Each round is S2's shape: 16 messages to a group of 100 (4 senders, 99 recipients each),
 * stored in one transaction; then every member acknowledges its 16 in one request, all the
 * requests in one transaction (`--messages N`: N a round; in S2 a member's acknowledgement,
 * gathered for 50 ms as `chatctl listen` does, names about 140), on a database opened as the server opens it (its migrations and
 * pragmas: WAL, `synchronous=FULL`, foreign keys on).
 *
 * - `rows` is the writer's statements before the group log (ADR 0006): one row per recipient, a
 *   message's rows inserted by one `insert … select … from json_each(?)`, one single-row delete
 *   per id acknowledged.
 * - `cursors` is the prototype ADR 0020 weighed first: the message stored once, each member's
 *   acknowledgements one update of its cursor, then one sweep of what every cursor has passed,
 *   without the rules the queue keeps.
 * - `log` is the server's own writer (`sqliteQueueBatchWriter`) with its group log, every rule
 *   kept: the round's messages as one commit of sends, every member's acknowledgements as the
 *   next commit.
 *
 * It prints wall time per delivery, which moves with the VM; for figures that do not, run it
 * under `valgrind --tool=callgrind` with two round counts and divide the difference of the
 * instruction totals by the difference of the deliveries.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Knex } from 'knex';
import { openSqliteDatabase } from '../infrastructure/knex/knex-database.js';
import type { MessageSend } from '../application/ports/message-queue.js';
import { DomainError, type ChatMessage, type MessageId, type UserId, type Username } from '../domain/index.js';
import type { QueueBatch } from '../infrastructure/knex/group-commit-message-queue.js';
import { DELETE, INSERT_FOR_EACH, LAST_ID, sqliteQueueBatchWriter } from '../infrastructure/knex/sqlite-queue-batch-writer.js';
import type { SqliteDatabase } from '../infrastructure/knex/sqlite-group-log.js';
import { countArgument, runScript, UsageError } from './options.js';

const MEMBERS = 100;
const SENDERS = 4;
const MESSAGES_PER_ROUND = 16;
const TEXT = 'x'.repeat(64);

type Layout = 'rows' | 'cursors' | 'log';

function options(argv: readonly string[]): { layout: Layout; rounds: number; perRound: number } {
  let layout: Layout = 'rows';
  let rounds = 40;
  let perRound = MESSAGES_PER_ROUND;
  for (let i = 0; i < argv.length; i++) {
    const value = argv[i + 1];
    const count = countArgument(value);
    if (argv[i] === '--layout' && (value === 'rows' || value === 'cursors' || value === 'log')) [layout, i] = [value, i + 1];
    else if (argv[i] === '--rounds' && count) [rounds, i] = [count, i + 1];
    else if (argv[i] === '--messages' && count) [perRound, i] = [count, i + 1];
    else throw new UsageError(`usage: node dist/bench/group-layouts.js [--layout rows|cursors|log] [--rounds N] [--messages PER_ROUND] (not understood: ${argv[i]})`);
  }
  return { layout, rounds, perRound };
}

/** The prototype's two tables, beside the server's own schema (whose group log has tables of these names without the prefix). */
const CURSOR_TABLES = [
  `create table proto_group_messages (
    id integer primary key autoincrement,
    group_id integer not null references groups(id) on delete cascade,
    sender_id integer references users(id) on delete set null,
    body text not null, payload text not null, created_at bigint not null)`,
  `create table proto_group_cursors (
    group_id integer not null references groups(id) on delete cascade,
    user_id integer not null references users(id) on delete cascade,
    acked_through integer not null,
    primary key (group_id, user_id)) without rowid`,
];

/** The server's database (its migrations and pragmas), with the members, their group and the cursor tables. */
async function open(directory: string): Promise<Knex> {
  const db = await openSqliteDatabase(join(directory, 'layouts.sqlite'));
  for (const table of CURSOR_TABLES) await db.raw(table);
  const now = Date.now();
  await db('users').insert(Array.from({ length: MEMBERS }, (_, i) => ({ username: `member${i + 1}`, password_hash: 'none', created_at: now })));
  await db('groups').insert({ name: 'bench', creator_id: 1, created_at: now });
  await db('proto_group_cursors').insert(Array.from({ length: MEMBERS }, (_, i) => ({ group_id: 1, user_id: i + 1, acked_through: 0 })));
  return db;
}

/** A round under the server's writer: `perRound` messages in one commit, every member's acknowledgements in the next. */
function writerRound(db: Knex, perRound: number): () => Promise<void> {
  const write = sqliteQueueBatchWriter(db);
  const counts = new Map<UserId, number>();
  const group = { id: 1, name: 'bench', creator: 'member1' as Username };
  const members = Array.from({ length: MEMBERS }, (_, i) => i + 1);
  const sendOf = (m: number): MessageSend => {
    const sender = (m % SENDERS) + 1;
    const message: ChatMessage = { kind: 'group', from: { id: sender, username: `member${sender}` as Username }, fromAdmin: false, group, text: TEXT, sentAt: new Date() };
    return { deliveries: members.filter((id) => id !== sender).map((recipientId) => ({ recipientId, message })), maxQueued: Infinity, sentAt: message.sentAt };
  };
  const commit = async (batch: Omit<QueueBatch, 'counts'>) => {
    const result = await write({ ...batch, counts });
    for (const [id, count] of result.counts) counts.set(id, count);
    return result;
  };
  return async () => {
    const { sent } = await commit({ sends: Array.from({ length: perRound }, (_, m) => sendOf(m)), acknowledgements: [] });
    const idsOf = new Map<UserId, MessageId[]>(members.map((id) => [id, []]));
    for (const receipt of sent) {
      if (receipt instanceof DomainError) throw receipt;
      for (const { recipientId, id } of receipt.queued) idsOf.get(recipientId)!.push(id);
    }
    await commit({ sends: [], acknowledgements: [...idsOf].map(([recipientId, ids]) => ({ recipientId, ids })) });
  };
}

/** One round's work under a layout: store `perRound` messages, then take every member's acknowledgement of them. */
function roundOf(db: SqliteDatabase, layout: Exclude<Layout, 'log'>, perRound: number): () => void {
  const payload = (sender: number) => JSON.stringify({ from: { id: sender, username: `member${sender}` }, fromAdmin: false, group: { id: 1, name: 'bench', creator: 'member1' } });
  const recipientsOf = (sender: number) => JSON.stringify(Array.from({ length: MEMBERS }, (_, i) => i + 1).filter((id) => id !== sender));
  if (layout === 'rows') {
    const lastId = db.prepare(LAST_ID);
    const insert = db.prepare(INSERT_FOR_EACH);
    const remove = db.prepare(DELETE);
    /** Stores the round's messages; returns each member's ids, as its pushes would tell its client. */
    const store = db.transaction((): number[][] => {
      const idsOf: number[][] = Array.from({ length: MEMBERS + 1 }, () => []);
      let last = (lastId.get() as { seq: number } | undefined)?.seq ?? 0;
      for (let m = 0; m < perRound; m++) {
        const sender = (m % SENDERS) + 1;
        insert.run(last + 1, 'group', sender, 1, TEXT, payload(sender), Date.now(), recipientsOf(sender));
        // The rows take ids in the order of the recipients array: the members but the sender.
        for (let member = 1; member <= MEMBERS; member++) if (member !== sender) idsOf[member]!.push(++last);
      }
      return idsOf;
    });
    const acknowledge = db.transaction((idsOf: number[][]) => {
      for (let member = 1; member <= MEMBERS; member++) for (const id of idsOf[member]!) remove.run(id, member);
    });
    return () => acknowledge(store());
  }
  const insert = db.prepare('insert into proto_group_messages (group_id, sender_id, body, payload, created_at) values (1, ?, ?, ?, ?)');
  const advance = db.prepare('update proto_group_cursors set acked_through = ? where group_id = 1 and user_id = ? and acked_through < ?');
  const sweep = db.prepare('delete from proto_group_messages where group_id = 1 and id <= (select min(acked_through) from proto_group_cursors where group_id = 1)');
  let last = 0;
  const store = db.transaction(() => {
    for (let m = 0; m < perRound; m++) {
      const sender = (m % SENDERS) + 1;
      last = Number(insert.run(sender, TEXT, payload(sender), Date.now()).lastInsertRowid);
    }
  });
  const acknowledge = db.transaction((through: number) => {
    for (let member = 1; member <= MEMBERS; member++) advance.run(through, member, through);
    sweep.run();
  });
  return () => {
    store();
    acknowledge(last);
  };
}

async function main(): Promise<void> {
  const { layout, rounds, perRound } = options(process.argv.slice(2));
  const directory = mkdtempSync(join(tmpdir(), 'parley-layouts-'));
  try {
    const db = await open(directory);
    let elapsedUs: number;
    let cpuBefore: NodeJS.CpuUsage;
    if (layout === 'log') {
      const round = writerRound(db, perRound);
      cpuBefore = process.cpuUsage();
      const started = process.hrtime.bigint();
      for (let i = 0; i < rounds; i++) await round();
      elapsedUs = Number(process.hrtime.bigint() - started) / 1000;
    } else {
      // The connection Knex pools, driven directly, as the server's writer does.
      const connection = (await db.client.acquireConnection()) as SqliteDatabase;
      const round = roundOf(connection, layout, perRound);
      cpuBefore = process.cpuUsage();
      const started = process.hrtime.bigint();
      for (let i = 0; i < rounds; i++) round();
      elapsedUs = Number(process.hrtime.bigint() - started) / 1000;
      await db.client.releaseConnection(connection);
    }
    const cpu = process.cpuUsage(cpuBefore);
    const deliveries = rounds * perRound * (MEMBERS - 1);
    const [{ waiting }] = (await db({ rows: 'offline_messages', cursors: 'proto_group_messages', log: 'group_messages' }[layout]).count({ waiting: '*' })) as [{ waiting: number }];
    await db.destroy();
    if (waiting !== 0) throw new Error(`${waiting} rows left after every member acknowledged: the layout's acknowledgement is wrong`);
    const cpuUs = cpu.user + cpu.system;
    console.log(
      `${layout}: ${rounds} rounds of ${perRound}, ${deliveries} deliveries stored and acknowledged, ${(elapsedUs / deliveries).toFixed(2)} µs per delivery (wall), ` +
        `${(cpuUs / deliveries).toFixed(2)} µs of CPU (user and system, the rounds only, JIT warm-up included)`,
    );
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}

await runScript(main);
