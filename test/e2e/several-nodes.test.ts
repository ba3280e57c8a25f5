import { expect } from 'chai';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { createChatApp } from '../../container.js';
import { ChatClient, type ServerEvent } from '../../interfaces/client/chat-client.js';
import { ChatError } from '../../interfaces/client/chat-error.js';
import { testSchema, type TestSchema } from '../support/postgres.js';
import { chatctl, run, ServerProcess, temporaryDirectory } from '../support/processes.js';
import { removeKeys, TEST_REDIS, testRedis, uniquePrefix } from '../support/redis.js';
import { eventually, expectOk } from '../support/world.js';

/** Seconds a dead node's users stay online in these tests. */
const PRESENCE_TIMEOUT_S = 1;
/** Seconds a user whose last connection closed still counts online: short, so waiting for an offline is quick. */
const PRESENCE_GRACE_S = 0.5;

/**
 * Three `serve` processes sharing one PostgreSQL schema and one Redis (under a prefix of the
 * test's own), as several nodes behind a load balancer would; users act through real chatctl
 * processes and SDK clients, each pointed at the node the test picks.
 */
describe('several nodes on one PostgreSQL and one Redis, end to end with real processes', function () {
  this.timeout(120_000);
  let tmp: ReturnType<typeof temporaryDirectory>;
  let schema: TestSchema;
  let prefix: string;
  let redis: Redis;
  let nodes: ServerProcess[];

  before(async () => (redis = await testRedis()));
  after(() => redis.quit());

  beforeEach(async () => {
    tmp = temporaryDirectory();
    schema = await testSchema();
    prefix = uniquePrefix();
    nodes = [];
    // One after the other: each brings the shared schema up to date before it listens.
    for (let i = 0; i < 3; i++) nodes.push(await startNode());
  });

  afterEach(async () => {
    await Promise.all(nodes.map((node) => node.stop('SIGKILL')));
    await removeKeys(redis, prefix);
    await schema.drop();
    tmp.remove();
  });

  const startNode = () =>
    ServerProcess.start(schema.url, ['--hub', TEST_REDIS, '--hub-prefix', prefix, '--presence-timeout', String(PRESENCE_TIMEOUT_S), '--presence-grace', String(PRESENCE_GRACE_S)]);

  /** The environment of a chatctl acting as `name` through `node`. */
  const as = (name: string, node: ServerProcess, profile = name) => ({ CHATCTL_HOME: join(tmp.path, 'home'), CHATCTL_SERVER: node.address, CHATCTL_PROFILE: profile });

  /** Registers the users with a cheap hash, straight on the shared database (password "pw-<name>-123"). */
  async function register(...names: string[]): Promise<void> {
    const app = await createChatApp({ storage: schema.url, scryptCost: { N: 2 ** 10, r: 8, p: 1 } });
    try {
      for (const name of names) await app.accounts.register(name, `pw-${name}-123`);
    } finally {
      await app.close();
    }
  }

  const login = (name: string, node: ServerProcess) => expectOk(chatctl(['login', name, `pw-${name}-123`], as(name, node)));

  async function listen(name: string, node: ServerProcess) {
    const listener = run(['listen'], as(name, node));
    await listener.stderr.waitFor(new RegExp(`listening as ${name}`));
    return listener;
  }

  async function json<T>(name: string, node: ServerProcess, ...args: string[]): Promise<T> {
    return JSON.parse((await expectOk(chatctl([...args, '--json'], as(name, node)))).stdout) as T;
  }

  it('pushes private and group messages live across nodes, and every node counts who is online', async () => {
    const [a, b, c] = nodes as [ServerProcess, ServerProcess, ServerProcess];
    await register('alice', 'bob', 'carol');
    await login('alice', a);
    await login('bob', b);
    await login('carol', c);
    await expectOk(chatctl(['add', 'bob'], as('alice', a)));
    await expectOk(chatctl(['add', 'carol'], as('alice', b)));
    const bob = await listen('bob', b);
    const carol = await listen('carol', c);

    for (const node of nodes) {
      const { friends } = await json<{ friends: { username: string; online: boolean }[] }>('alice', node, 'friends');
      expect(friends, `friends through ${node.address}`).to.deep.equal([
        { username: 'bob', admin: false, banned: false, online: true },
        { username: 'carol', admin: false, banned: false, online: true },
      ]);
    }

    await expectOk(chatctl(['send', 'bob', 'from', 'node', 'a'], as('alice', a)));
    await bob.stdout.waitFor(/alice: from node a$/);
    await expectOk(chatctl(['send', 'carol', 'from', 'node', 'b'], as('alice', b)));
    await carol.stdout.waitFor(/alice: from node b$/);

    await expectOk(chatctl(['newgroup', 'team'], as('alice', a)));
    await expectOk(chatctl(['addgroupuser', 'team', 'bob'], as('alice', b)));
    await expectOk(chatctl(['addgroupuser', 'team', 'carol'], as('alice', c)));
    // bob and carol listen; alice's login counts online only for the grace period after it.
    const team = async () => (await json<{ groups: { name: string; online: number; members: number }[] }>('alice', c, 'groups')).groups.map(({ name, online, members }) => ({ name, online, members }));
    await eventually(async () => (await team())[0]?.online === 2);
    expect(await team()).to.deep.equal([{ name: 'team', online: 2, members: 3 }]);
    // A member added on node b and c is a member on node a at once: no node answers from a stale cache.
    await expectOk(chatctl(['sendgroup', '1', 'hello', 'team'], as('alice', a)));
    await bob.stdout.waitFor(/team.*alice: hello team$/);
    await carol.stdout.waitFor(/team.*alice: hello team$/);

    for (const listener of [bob, carol]) {
      listener.child.kill('SIGINT');
      expect(await listener.exited()).to.equal(0);
    }
    await eventually(async () => {
      const { friends } = await json<{ friends: { online: boolean }[] }>('alice', c, 'friends');
      return friends.every((friend) => !friend.online);
    });
  });

  it('ends a session on one node when its user logs in on another, and when an admin on a third bans them', async () => {
    const [a, b, c] = nodes as [ServerProcess, ServerProcess, ServerProcess];
    await register('boss', 'bob');
    await expectOk(chatctl(['promote', 'boss', '--db', schema.url], {}));
    await login('boss', c);
    await login('bob', a);
    const first = await listen('bob', a);
    await expectOk(chatctl(['login', 'bob', 'pw-bob-123'], as('bob', b, 'bob-again')));
    expect(await first.exited()).to.equal(4);
    expect(first.stderr.seen.join('\n')).to.contain('you logged in somewhere else');

    const second = run(['listen'], as('bob', b, 'bob-again'));
    await second.stderr.waitFor(/listening as bob/);
    expect((await chatctl(['blockuser', 'bob'], as('boss', c))).stdout).to.equal('bob is banned');
    expect(await second.exited()).to.equal(4);
    expect(second.stderr.seen.join('\n')).to.contain('an admin banned you');
    const { users } = await json<{ users: { username: string; online: boolean; banned: boolean }[] }>('boss', a, 'allusers');
    expect(users.find((user) => user.username === 'bob')).to.deep.include({ online: false, banned: true });
  });

  it('loses nothing when a node is killed under load: its users attach to another and get every message whose sender saw ok, in order', async () => {
    const [a, b, c] = nodes as [ServerProcess, ServerProcess, ServerProcess];
    const pairs = Array.from({ length: 6 }, (_, i) => ({ sender: `sender${i}`, receiver: `receiver${i}` }));
    await register(...pairs.flatMap(({ sender, receiver }) => [sender, receiver]));
    const senders = await Promise.all(pairs.map(({ sender }, i) => loggedIn(i % 2 === 0 ? a : b, sender)));
    const receivers = await Promise.all(pairs.map(({ receiver }) => Receiver.open(c, { login: receiver })));
    await Promise.all(senders.map((client, i) => client.request('add', { username: pairs[i]!.receiver })));

    const oks = pairs.map(() => new Map<number, number>());
    let okCount = 0;
    const sending = Promise.all(senders.map((client, i) => sendAll(client, pairs[i]!, oks[i]!, () => okCount++)));
    await eventually(async () => okCount >= (pairs.length * PER_SENDER) / 3, 30_000);
    await c.stop('SIGKILL');
    const okAtKill = okCount;
    await sending;
    expect(okAtKill, 'the kill came while senders were still sending').to.be.below(pairs.length * PER_SENDER);

    // Their node is gone: each receiver attaches through another with the token it had.
    const again = await Promise.all(receivers.map((receiver, i) => Receiver.open(i % 2 === 0 ? a : b, { token: receiver.token })));
    const received = (i: number) => new Set([...receivers[i]!.deliveries, ...again[i]!.deliveries].map((d) => d.id));
    await eventually(async () => oks.every((ok, i) => [...ok.values()].every((id) => received(i).has(id))), 30_000);

    expect(again.some((receiver) => receiver.deliveries.length > 0), 'some messages reached the receivers only through the node they moved to').to.equal(true);
    for (const [i, { sender }] of pairs.entries()) {
      const byId = new Map([...receivers[i]!.deliveries, ...again[i]!.deliveries].map((d) => [d.id, d.text]));
      for (const [seq, id] of oks[i]!) expect(byId.get(id), `${sender}#${seq}, ok'd as ${id}`).to.equal(`${sender}#${seq}`);
      for (const connection of [receivers[i]!, again[i]!]) {
        const seqs = connection.deliveries.map((d) => Number(d.text.split('#')[1]));
        expect(seqs, `${sender}'s messages on one connection arrive in the order sent`).to.deep.equal([...seqs].sort((x, y) => x - y));
      }
    }
    await Promise.all([...senders, ...again.map((receiver) => receiver.client)].map((client) => client.close()));
  });
});

/** Messages each sender sends in the kill test, with WINDOW of them awaiting their answer at once. */
const PER_SENDER = 150;
const WINDOW = 8;

async function loggedIn(node: ServerProcess, name: string): Promise<ChatClient> {
  const client = await ChatClient.connect({ port: node.port });
  await client.login(name, `pw-${name}-123`);
  return client;
}

/** Sends `<sender>#<seq>` until all are answered, noting seq → id of each `ok`; a send that fails is not counted. */
async function sendAll(client: ChatClient, { sender, receiver }: { sender: string; receiver: string }, oks: Map<number, number>, onOk: () => void): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: WINDOW }, async () => {
      while (next < PER_SENDER) {
        const seq = next++;
        try {
          const { message } = await client.request('send', { to: receiver, text: `${sender}#${seq}` });
          oks.set(seq, message.id);
          onOk();
        } catch (error) {
          if (!(error instanceof ChatError && error.status === 'connection')) throw error;
          return;
        }
      }
    }),
  );
}

/** One connection's deliveries in the order they arrived, acknowledged as `chatctl listen` does. */
class Receiver {
  readonly deliveries: { id: number; text: string }[] = [];
  private batch: number[] = [];

  private constructor(readonly client: ChatClient) {}

  /** Connects to `node` and attaches, by a login or with the token of an earlier one; the backlog comes before the answer. */
  static async open(node: ServerProcess, how: { login: string } | { token: string }): Promise<Receiver> {
    const client = await ChatClient.connect({ port: node.port, ...('token' in how ? { token: how.token } : {}) });
    const receiver = new Receiver(client);
    client.on('event', (event) => receiver.receive(event));
    if ('token' in how) {
      await client.request('attach');
    } else {
      await client.login(how.login, `pw-${how.login}-123`);
    }
    return receiver;
  }

  get token(): string {
    return this.client.token!;
  }

  private receive(event: ServerEvent): void {
    if (event.type !== 'message') return;
    this.deliveries.push({ id: event.id, text: event.message.text });
    if (this.batch.length === 0) setTimeout(() => void this.client.ack(this.batch.splice(0)).catch(() => undefined), 50);
    this.batch.push(event.id);
  }
}
