/**
 * What the SQLite writer spends on private messages, through the writer itself:
 * `node dist/bench/private-writes.js [--commits N]`.
 *
 * Each commit is S1's shape as the group commit hands it over: 128 private messages from 100
 * senders to 100 recipients, plus the acknowledgements of everything the commit before stored,
 * one per recipient, on a database opened as the server opens it (its migrations and pragmas:
 * WAL, `synchronous=FULL`, foreign keys on). It checks that nothing is left once the last
 * acknowledgements are written.
 *
 * It prints wall time per message, which moves with the VM; for figures that do not, run it
 * under `valgrind --tool=callgrind` with two commit counts and divide the difference of the
 * instruction totals by the difference of the messages (ADR 0006 has them).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MessageSend } from '../application/ports/message-queue.js';
import type { MessageId, UserId, Username } from '../domain/index.js';
import type { QueueBatch } from '../infrastructure/knex/group-commit-message-queue.js';
import { openSqliteDatabase } from '../infrastructure/knex/knex-database.js';
import { sqliteQueueBatchWriter } from '../infrastructure/knex/sqlite-queue-batch-writer.js';

const PAIRS = 100;
const MESSAGES_PER_COMMIT = 128;
const TEXT = 'x'.repeat(64);

function options(argv: readonly string[]): { commits: number } {
  let commits = 200;
  for (let i = 0; i < argv.length; i++) {
    const value = argv[i + 1];
    if (argv[i] === '--commits' && value && Number.isInteger(Number(value)) && Number(value) > 0) [commits, i] = [Number(value), i + 1];
    else throw new Error(`usage: node dist/bench/private-writes.js [--commits N] (not understood: ${argv[i]})`);
  }
  return { commits };
}

/** Message `n` of the run: from sender `n mod 100`, to that sender's own recipient. */
function messageSend(n: number): MessageSend {
  const sender = (n % PAIRS) + 1;
  const sentAt = new Date();
  const message = { kind: 'private', from: { id: sender, username: `sender${sender}` as Username }, fromAdmin: false, text: TEXT, sentAt } as const;
  return { deliveries: [{ recipientId: sender + PAIRS, message }], sentAt, key: undefined, maxQueued: Infinity };
}

async function main(): Promise<void> {
  const { commits } = options(process.argv.slice(2));
  const directory = mkdtempSync(join(tmpdir(), 'parley-private-writes-'));
  try {
    const db = await openSqliteDatabase(join(directory, 'writes.sqlite'));
    const now = Date.now();
    await db('users').insert(Array.from({ length: 2 * PAIRS }, (_, i) => ({ username: `${i < PAIRS ? 'sender' : 'recipient'}${(i % PAIRS) + 1}`, password_hash: 'none', created_at: now })));
    const write = sqliteQueueBatchWriter(db);
    let acknowledgements: QueueBatch['acknowledgements'] = [];
    const counts = new Map<UserId, number>();
    const started = process.hrtime.bigint();
    for (let commit = 0; commit <= commits; commit++) {
      const sends = commit < commits ? Array.from({ length: MESSAGES_PER_COMMIT }, (_, i) => messageSend(commit * MESSAGES_PER_COMMIT + i)) : [];
      const result = await write({ sends, acknowledgements, counts });
      for (const [id, count] of result.counts) counts.set(id, count);
      const idsOf = new Map<UserId, MessageId[]>();
      for (const { recipientId, id } of result.sent.flatMap((receipt) => receipt.queued)) {
        const ids = idsOf.get(recipientId);
        if (ids) ids.push(id);
        else idsOf.set(recipientId, [id]);
      }
      acknowledgements = [...idsOf].map(([recipientId, ids]) => ({ recipientId, ids }));
    }
    const elapsedUs = Number(process.hrtime.bigint() - started) / 1000;
    const [{ waiting }] = (await db('offline_messages').count({ waiting: '*' })) as [{ waiting: number }];
    await db.destroy();
    if (waiting !== 0) throw new Error(`${waiting} rows left after every message was acknowledged: the writer's acknowledgement is wrong`);
    const messages = commits * MESSAGES_PER_COMMIT;
    console.log(`${commits} commits, ${messages} private messages stored and acknowledged, ${(elapsedUs / messages).toFixed(2)} µs per message (wall)`);
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}

await main();
