/**
 * What the SQLite writer spends on private messages, through the writer itself:
 * `node dist/bench/private-writes.js [--commits N] [--messages PER_COMMIT]`.
 *
 * Each commit is S1's shape as the group commit hands it over: 128 private messages from 100
 * senders to 100 recipients (`--messages N`: S1's commits held 692 on average in a run of
 * 2026-12-07; `--messages 1`: light load's, one message a commit), plus the
 * acknowledgements of everything the commit before stored,
 * one per recipient, on a database opened as the server opens it (its migrations and pragmas:
 * WAL, `synchronous=FULL`, foreign keys on). It checks that nothing is left once the last
 * acknowledgements are written.
 *
 * It prints wall time and the process's CPU time per message, which move with the VM (the CPU
 * time includes start-up and the compiler's warm-up, so compare runs of one length); for figures that do not, run it
 * under `valgrind --tool=callgrind` with two commit counts and divide the difference of the
 * instruction totals by the difference of the messages (ADR 0006 has them).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MessageSend, SendReceipt } from '../application/ports/message-queue.js';
import { DomainError, type MessageId, type UserId, type Username } from '../domain/index.js';
import type { QueueBatch } from '../infrastructure/knex/group-commit-message-queue.js';
import { openSqliteDatabase } from '../infrastructure/knex/knex-database.js';
import { sqliteQueueBatchWriter } from '../infrastructure/knex/sqlite-queue-batch-writer.js';
import { countArgument, runScript, UsageError } from './options.js';

const PAIRS = 100;
const MESSAGES_PER_COMMIT = 128;
const TEXT = 'x'.repeat(64);

function options(argv: readonly string[]): { commits: number; perCommit: number } {
  let commits = 200;
  let perCommit = MESSAGES_PER_COMMIT;
  for (let i = 0; i < argv.length; i++) {
    const value = argv[i + 1];
    const count = countArgument(value);
    if (argv[i] === '--commits' && count) [commits, i] = [count, i + 1];
    else if (argv[i] === '--messages' && count) [perCommit, i] = [count, i + 1];
    else throw new UsageError(`usage: node dist/bench/private-writes.js [--commits N] [--messages PER_COMMIT] (not understood: ${argv[i]})`);
  }
  return { commits, perCommit };
}

/** Message `n` of the run: from sender `n mod 100`, to that sender's own recipient. */
function messageSend(n: number): MessageSend {
  const sender = (n % PAIRS) + 1;
  const sentAt = new Date();
  const message = { kind: 'private', from: { id: sender, username: `sender${sender}` as Username }, fromAdmin: false, text: TEXT, sentAt } as const;
  return { deliveries: [{ recipientId: sender + PAIRS, message }], sentAt, key: undefined, maxQueued: Infinity };
}

async function main(): Promise<void> {
  const { commits, perCommit } = options(process.argv.slice(2));
  const directory = mkdtempSync(join(tmpdir(), 'parley-private-writes-'));
  try {
    const db = await openSqliteDatabase(join(directory, 'writes.sqlite'));
    const now = Date.now();
    await db('users').insert(Array.from({ length: 2 * PAIRS }, (_, i) => ({ username: `${i < PAIRS ? 'sender' : 'recipient'}${(i % PAIRS) + 1}`, password_hash: 'none', created_at: now })));
    const write = sqliteQueueBatchWriter(db);
    let acknowledgements: QueueBatch['acknowledgements'] = [];
    const counts = new Map<UserId, number>();
    const started = process.hrtime.bigint();
    const cpuBefore = process.cpuUsage();
    for (let commit = 0; commit <= commits; commit++) {
      const sends = commit < commits ? Array.from({ length: perCommit }, (_, i) => messageSend(commit * perCommit + i)) : [];
      const result = await write({ sends, acknowledgements, counts });
      for (const [id, count] of result.counts) counts.set(id, count);
      const idsOf = new Map<UserId, MessageId[]>();
      const refused = result.sent.find((sent) => sent instanceof DomainError);
      if (refused) throw refused;
      for (const { recipientId, id } of (result.sent as SendReceipt[]).flatMap((receipt) => receipt.queued)) {
        const ids = idsOf.get(recipientId);
        if (ids) ids.push(id);
        else idsOf.set(recipientId, [id]);
      }
      acknowledgements = [...idsOf].map(([recipientId, ids]) => ({ recipientId, ids }));
    }
    const elapsedUs = Number(process.hrtime.bigint() - started) / 1000;
    const cpu = process.cpuUsage(cpuBefore);
    const [{ waiting }] = (await db('offline_messages').count({ waiting: '*' })) as [{ waiting: number }];
    await db.destroy();
    if (waiting !== 0) throw new Error(`${waiting} rows left after every message was acknowledged: the writer's acknowledgement is wrong`);
    const messages = commits * perCommit;
    const perMessage = (us: number) => (us / messages).toFixed(2);
    console.log(
      `${commits} commits of ${perCommit}, ${messages} private messages stored and acknowledged: ` +
        `${perMessage(elapsedUs)} µs per message (wall), ${perMessage(cpu.user + cpu.system)} µs of CPU (user and system, JIT warm-up included)`,
    );
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}

await runScript(main);
