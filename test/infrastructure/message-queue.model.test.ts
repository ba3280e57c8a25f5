import { expect } from 'chai';
import { join } from 'node:path';
import type { MessageSend, SendReceipt } from '../../application/ports/message-queue.js';
import type { ChatMessage, GroupRef, MessageId, UserId, Username } from '../../domain/index.js';
import { openStorage, type Storage } from '../../infrastructure/storage.js';
import { testSchema } from '../support/postgres.js';
import { temporaryDirectory } from '../support/processes.js';
import { seededRandom } from '../support/random.js';

/**
 * The message queue against a model of its contract (application/ports/message-queue.ts),
 * driven by random operations from fixed seeds: sends private and to groups (any subset of
 * members, the sender among them or not, small quotas, client ids repeated), acknowledgements
 * (in and out of order, repeated, others', unknown and absurd ids), several of them in one
 * commit, restarts, users and groups removed and added, notices enqueued. After the
 * operations, every user's queue, pages of it, and the counts are compared with the model.
 * A failure names the seed and the last operations, to replay it.
 *
 * Two storages sharing a file run here in one process, where better-sqlite3's transactions
 * cannot interleave: what two processes do to each other is in storage.test.ts and
 * sqlite-group-log.test.ts, with real second processes.
 */
const SEEDS = 6;
const STEPS = 200;

interface Adapter {
  readonly name: string;
  /** Opens the storage nodes of a run (two on a shared file); `open` again after `close` is a restart. */
  setUp(): Promise<{ open(): Promise<Storage[]>; restartable: boolean; tearDown(): Promise<void> }>;
}

const sqliteFile = (nodes: number): Adapter['setUp'] => async () => {
  const directory = temporaryDirectory();
  const url = `sqlite:${join(directory.path, 'queue.sqlite')}`;
  return {
    // One after the other: in one process two storages opening one file block each other synchronously (better-sqlite3) for busy timeouts.
    open: async () => {
      const opened: Storage[] = [];
      for (let n = 0; n < nodes; n++) opened.push(await openStorage(url, { cacheCapacity: 0, shared: nodes > 1 }));
      return opened;
    },
    restartable: true,
    tearDown: async () => directory.remove(),
  };
};

const ADAPTERS: Adapter[] = [
  { name: 'in memory', setUp: async () => ({ open: async () => [await openStorage('memory', { cacheCapacity: 0 })], restartable: false, tearDown: async () => {} }) },
  { name: 'on a SQLite file', setUp: sqliteFile(1) },
  { name: 'on a SQLite file two storages share', setUp: sqliteFile(2) },
  {
    name: 'on PostgreSQL',
    setUp: async () => {
      const schema = await testSchema();
      return { open: async () => [await openStorage(schema.url, { cacheCapacity: 0 })], restartable: true, tearDown: () => schema.drop() };
    },
  },
];

interface Modelled {
  readonly recipient: UserId;
  readonly text: string;
}

async function run(adapter: Adapter, seed: number): Promise<void> {
  const random = seededRandom(seed);
  const below = (n: number) => Math.floor(random() * n);
  const pick = <T>(items: readonly T[]): T => items[below(items.length)]!;
  const shuffled = <T>(items: readonly T[]): T[] => {
    const copy = [...items];
    for (let i = copy.length - 1; i > 0; i--) {
      const j = below(i + 1);
      [copy[i], copy[j]] = [copy[j]!, copy[i]!];
    }
    return copy;
  };
  const trail: string[] = [];
  const fail = (what: string): never => expect.fail(`seed ${seed}: ${what}\nlast operations:\n${trail.slice(-20).join('\n')}`);

  const backend = await adapter.setUp();
  let nodes = await backend.open();
  const queue = () => pick(nodes).repositories.messages;
  const users: { id: UserId; username: Username; alive: boolean }[] = [];
  const groups: { ref: GroupRef; alive: boolean }[] = [];
  /** What waits, by delivery id: the model. */
  const waiting = new Map<MessageId, Modelled>();
  const usedKeys = new Set<string>();
  const acknowledged: MessageId[] = [];
  let highest = 0;
  let texts = 0;

  const addUser = async () => {
    const username = `user${users.length}` as Username;
    const user = await nodes[0]!.repositories.users.add({ username, passwordHash: 'h', createdAt: new Date(0) });
    users.push({ id: user.id, username, alive: true });
  };
  const addGroup = async () => {
    const name = `group${groups.length}`;
    const group = await nodes[0]!.repositories.groups.create({ name, creatorId: users[0]!.id, createdAt: new Date(0) });
    groups.push({ ref: { id: group.id, name, creator: users[0]!.username }, alive: true });
  };
  const alive = () => users.filter((user) => user.alive);
  const waitingFor = (userId: UserId) => [...waiting].filter(([, delivery]) => delivery.recipient === userId).sort(([a], [b]) => a - b);

  /** A random send, and what the contract says it does given the model as it will be when it commits. */
  const randomSend = () => {
    const sender = random() < 0.95 ? pick(alive()) : pick(users);
    const text = `t${++texts}`;
    const from = { id: sender.id, username: sender.username };
    let message: ChatMessage;
    let recipients: UserId[];
    if (random() < 0.65) {
      const livingGroups = groups.filter((group) => group.alive);
      const group = random() < 0.95 && livingGroups.length > 0 ? pick(livingGroups) : pick(groups);
      message = { kind: 'group', from, fromAdmin: false, group: group.ref, text, sentAt: new Date(texts) };
      recipients = shuffled(random() < 0.9 ? alive() : users)
        .slice(0, 1 + below(users.length))
        .map((user) => user.id);
      if (random() < 0.7) recipients = recipients.filter((id) => id !== sender.id);
      if (recipients.length === 0) recipients = [pick(alive().filter((user) => user.id !== sender.id)).id];
    } else {
      message = { kind: 'private', from, fromAdmin: false, text, sentAt: new Date(texts) };
      recipients = [(random() < 0.95 ? pick(alive()) : pick(users)).id];
    }
    const key = random() < 0.15 ? { senderId: sender.id, clientMsgId: `k${below(5)}` } : undefined;
    const send: MessageSend = { deliveries: recipients.map((recipientId) => ({ recipientId, message })), maxQueued: random() < 0.5 ? 1 + below(8) : 1000, sentAt: message.sentAt, key };
    const describe = `send ${message.kind} ${text} from ${sender.id} to [${recipients}], at most ${send.maxQueued} waiting${key ? `, key ${key.clientMsgId}` : ''}`;
    /** Checks the receipt against the model and applies it; call in commit order. */
    const settle = (outcome: SendReceipt | Error) => {
      const isAlive = (id: UserId) => users.find((user) => user.id === id)!.alive;
      if (key && usedKeys.has(`${key.senderId}:${key.clientMsgId}`)) {
        if (outcome instanceof Error || !outcome.repeat) fail(`${describe}: a repeat, answered ${String(outcome)}`);
        return;
      }
      const refused = !isAlive(sender.id) || (message.kind === 'group' && !groups.find((group) => group.ref.id === message.group.id)!.alive) || (message.kind === 'private' && !isAlive(recipients[0]!));
      if (refused !== outcome instanceof Error) fail(`${describe}: ${refused ? 'should be refused' : 'refused'}: ${String(outcome)}`);
      if (outcome instanceof Error) return;
      const counts = new Map<UserId, number>();
      const taken: UserId[] = [];
      const full: UserId[] = [];
      for (const id of recipients.filter(isAlive)) {
        const count = counts.get(id) ?? waitingFor(id).length;
        if (count >= send.maxQueued) full.push(id);
        else (taken.push(id), counts.set(id, count + 1));
      }
      const ids = outcome.queued.map((delivery) => delivery.id);
      if (outcome.repeat || JSON.stringify(outcome.queued.map((delivery) => delivery.recipientId)) !== JSON.stringify(taken) || JSON.stringify(outcome.full) !== JSON.stringify(full)) {
        fail(`${describe}: stored for [${outcome.queued.map((delivery) => delivery.recipientId)}] full [${outcome.full}], expected [${taken}] full [${full}]`);
      }
      if (ids.some((id, i) => id <= (i === 0 ? highest : ids[i - 1]!))) fail(`${describe}: ids [${ids}] not ascending above ${highest}`);
      outcome.queued.forEach((delivery) => waiting.set(delivery.id, { recipient: delivery.recipientId, text }));
      highest = Math.max(highest, ...ids);
      if (key && ids.length > 0) usedKeys.add(`${key.senderId}:${key.clientMsgId}`);
      trail.push(`  ids [${ids}]`);
    };
    return { send, describe, settle };
  };

  /** A random acknowledgement, checked against the model and applied by `settle`. */
  const randomAck = () => {
    const user = random() < 0.95 ? pick(alive()) : pick(users);
    const theirs = waitingFor(user.id).map(([id]) => id);
    const ids: MessageId[] = [];
    for (let n = below(6); n > 0; n--) {
      const choice = random();
      if (choice < 0.55 && theirs.length > 0) ids.push(random() < 0.5 ? theirs[0]! : pick(theirs));
      else if (choice < 0.75 && waiting.size > 0) ids.push(pick([...waiting.keys()]));
      else if (choice < 0.85 && acknowledged.length > 0) ids.push(pick(acknowledged));
      else if (choice < 0.93) ids.push(highest + 1 + below(5));
      else ids.push(pick([0, -1, 2 ** 40, 2 ** 53 - 1, 9_999_999_999]));
    }
    if (random() < 0.1) ids.push(...theirs);
    const describe = `ack by ${user.id} of [${ids}]`;
    const settle = (outcome: MessageId[] | Error) => {
      const expected = [...new Set(ids)].filter((id) => waiting.get(id)?.recipient === user.id).sort((a, b) => a - b);
      if (outcome instanceof Error || JSON.stringify(outcome) !== JSON.stringify(expected)) fail(`${describe}: removed ${String(outcome)}, expected [${expected}]`);
      for (const id of expected) (waiting.delete(id), acknowledged.push(id));
    };
    return { user, ids, describe, settle };
  };

  const compare = async (where: string) => {
    const node = pick(nodes).repositories.messages;
    for (const user of users) {
      const expected = waitingFor(user.id).map(([id, { text }]) => `${id}:${text}`);
      const got = (await node.pendingFor(user.id)).map((delivery) => `${delivery.id}:${delivery.message.text}`);
      if (got.join() !== expected.join()) fail(`${where}: user ${user.id} has [${got}], expected [${expected}]`);
      const after = below(highest + 2);
      const limit = 1 + below(4);
      const page = (await node.pendingFor(user.id, { after, limit })).map((delivery) => `${delivery.id}:${delivery.message.text}`);
      const expectedPage = waitingFor(user.id)
        .filter(([id]) => id > after)
        .slice(0, limit)
        .map(([id, { text }]) => `${id}:${text}`);
      if (page.join() !== expectedPage.join()) fail(`${where}: user ${user.id} after ${after}, ${limit} at most: [${page}], expected [${expectedPage}]`);
      if ((await node.countFor(user.id)) !== expected.length) fail(`${where}: user ${user.id} counted ${await node.countFor(user.id)}, expected ${expected.length}`);
    }
    if ((await node.countAll()) !== waiting.size) fail(`${where}: ${await node.countAll()} waiting in all, expected ${waiting.size}`);
  };

  const settled = <T>(promise: Promise<T>) => promise.catch((error: unknown) => (error instanceof Error ? error : new Error(String(error))));
  try {
    for (let i = 0; i < 7; i++) await addUser();
    for (let i = 0; i < 3; i++) await addGroup();
    for (let step = 0; step < STEPS; step++) {
      const choice = random();
      if (choice < 0.35) {
        const send = randomSend();
        trail.push(`#${step} ${send.describe}`);
        send.settle(await settled(queue().send(send.send)));
      } else if (choice < 0.6) {
        const ack = randomAck();
        trail.push(`#${step} ${ack.describe}`);
        ack.settle(await settled(queue().acknowledge(ack.user.id, ack.ids)));
      } else if (choice < 0.75) {
        // Several at once on one node, one commit: its sends in order, then its acknowledgements.
        const node = queue();
        const sends: ReturnType<typeof randomSend>[] = [];
        const acks: ReturnType<typeof randomAck>[] = [];
        for (let n = 2 + below(5); n > 0; n--) {
          if (random() < 0.5) sends.push(randomSend());
          else acks.push(randomAck());
        }
        trail.push(`#${step} at once: ${[...sends, ...acks].map((operation) => operation.describe).join(' | ')}`);
        const [sent, removed] = await Promise.all([
          Promise.all(sends.map((send) => settled(node.send(send.send)))),
          Promise.all(acks.map((ack) => settled(node.acknowledge(ack.user.id, ack.ids)))),
        ]);
        sends.forEach((send, i) => send.settle(sent[i]!));
        acks.forEach((ack, i) => ack.settle(removed[i]!));
      } else if (choice < 0.8 && backend.restartable) {
        trail.push(`#${step} restart`);
        await Promise.all(nodes.map((node) => node.close()));
        nodes = await backend.open();
      } else if (choice < 0.83 && alive().length > 4) {
        const user = pick(alive().slice(1));
        trail.push(`#${step} remove user ${user.id}`);
        expect(await pick(nodes).repositories.users.remove(user.id)).to.equal(true);
        user.alive = false;
        for (const [id, delivery] of [...waiting]) if (delivery.recipient === user.id) waiting.delete(id);
        for (const key of [...usedKeys]) if (key.startsWith(`${user.id}:`)) usedKeys.delete(key);
      } else if (choice < 0.85) {
        trail.push(`#${step} add a user`);
        await addUser();
      } else if (choice < 0.87 && groups.filter((group) => group.alive).length > 1) {
        const group = pick(groups.filter((candidate) => candidate.alive));
        trail.push(`#${step} remove group ${group.ref.id}`);
        expect(await pick(nodes).repositories.groups.remove(group.ref.id)).to.equal(true);
        group.alive = false;
      } else if (choice < 0.88) {
        trail.push(`#${step} add a group`);
        await addGroup();
      } else if (choice < 0.9) {
        const group = pick(groups.filter((candidate) => candidate.alive)).ref;
        const text = `t${++texts}`;
        const recipients = shuffled(alive())
          .slice(0, 1 + below(3))
          .map((user) => user.id);
        trail.push(`#${step} notice ${text} to [${recipients}]`);
        const message: ChatMessage = { kind: 'notice', topic: 'group-invited', from: null, group, text, sentAt: new Date(texts) };
        for (const delivery of await queue().enqueue(recipients.map((recipientId) => ({ recipientId, message })))) {
          if (delivery.id <= highest) fail(`notice ${text}: id ${delivery.id} not above ${highest}`);
          waiting.set(delivery.id, { recipient: delivery.recipientId, text });
          highest = delivery.id;
        }
      } else await compare(`after #${step}`);
    }
    await compare('at the end');
  } finally {
    await Promise.all(nodes.map((node) => node.close()));
    await backend.tearDown();
  }
}

describe('the message queue against a model of its contract (random operations, fixed seeds)', () => {
  for (const adapter of ADAPTERS) {
    it(`keeps, orders, counts and removes as the contract says, ${adapter.name}: ${SEEDS} seeds of ${STEPS} operations`, async function () {
      this.timeout(120_000);
      for (let seed = 1; seed <= SEEDS; seed++) await run(adapter, seed);
    });
  }
});
