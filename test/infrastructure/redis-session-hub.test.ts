import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Redis } from 'ioredis';
import type { OfflineMessage, UserId, Username } from '../../domain/index.js';
import { RedisSessionHub } from '../../infrastructure/redis/redis-session-hub.js';
import { SessionHubError, type Notice } from '../../application/ports/session-hub.js';
import { RecordingSink } from '../support/fakes.js';
import { eventually } from '../support/world.js';
import { RedisProcess, removeKeys, TEST_REDIS, testRedis, uniquePrefix } from '../support/redis.js';
import { CONTRACT_GRACE_MS, describeSessionHub } from './session-hub.contract.js';

const delivery = (id: number, recipientId: UserId): OfflineMessage => ({
  id,
  recipientId,
  message: { kind: 'private', from: { id: 99, username: 'bob' as Username }, fromAdmin: false, text: `m${id}`, sentAt: new Date(Date.UTC(2026, 10, 25, 12)) },
});

/** A grace period no test outlasts, for looking at a user while it runs. */
const LONG_GRACE_MS = 60_000;

/** Hubs made during a test, all under its own prefix, closed and their keys removed after it. */
let admin: Redis;
let prefix = '';
let open: RedisSessionHub[] = [];
const node = async (presenceTimeoutMs?: number, url = TEST_REDIS, presenceGraceMs = CONTRACT_GRACE_MS) => {
  const hub = await RedisSessionHub.connect(url, { prefix, presenceTimeoutMs, presenceGraceMs });
  open.push(hub);
  return hub;
};

before(async () => {
  admin = await testRedis();
});
after(() => admin?.quit());

function perTestPrefix(): void {
  beforeEach(() => {
    prefix = uniquePrefix();
  });
  afterEach(async () => {
    await Promise.all(open.map((hub) => hub.close()));
    open = [];
    await removeKeys(admin, prefix);
  });
}

describe('Redis session hub', () => {
  perTestPrefix();
  describeSessionHub('redis', (presenceGraceMs) => node(undefined, TEST_REDIS, presenceGraceMs));
});

describe('Redis session hub across nodes', () => {
  perTestPrefix();

  it('counts a user online on every node while attached on one, and through the grace period after', async () => {
    const [a, b] = [await node(undefined, TEST_REDIS, LONG_GRACE_MS), await node(undefined, TEST_REDIS, LONG_GRACE_MS)];
    const sink = new RecordingSink();
    await a.attach(7, sink);
    expect(await b.onlineAmong([7, 8])).to.deep.equal(new Set([7]));
    await a.detach(7, sink);
    expect(await b.onlineAmong([7, 8])).to.deep.equal(new Set([7]));
    await b.kick(7, 'USER_BANNED', 'an admin banned you');
    expect(await a.onlineAmong([7, 8])).to.deep.equal(new Set());
  });

  it('counts a user leaving on a node that is gone offline: a grace period outlives no node', async () => {
    const [a, b] = [await node(undefined, TEST_REDIS, LONG_GRACE_MS), await node()];
    const sink = new RecordingSink();
    await a.attach(7, sink);
    await a.detach(7, sink);
    expect(await b.onlineAmong([7])).to.deep.equal(new Set([7]));
    await a.close();
    expect(await b.onlineAmong([7])).to.deep.equal(new Set());
  });

  it('pushes to whichever node holds each recipient, in the order delivered', async () => {
    const [a, b, c] = [await node(), await node(), await node()];
    const [seven, eight] = [new RecordingSink(), new RecordingSink()];
    await a.attach(7, seven);
    await b.attach(8, eight);
    await c.deliver([delivery(1, 7), delivery(2, 8), delivery(3, 7)]);
    // Many calls in flight at once, as group commits come: they still arrive in call order.
    await Promise.all(Array.from({ length: 50 }, (_, i) => c.deliver([delivery(10 + i, 7)])));
    await eventually(async () => seven.pushed.length === 52 && eight.pushed.length === 1, 5000);
    expect(seven.pushed.map((d) => d.id)).to.deep.equal([1, 3, ...Array.from({ length: 50 }, (_, i) => 10 + i)]);
    expect(seven.pushed[0]).to.deep.equal(delivery(1, 7));
    expect(eight.pushed.map((d) => d.id)).to.deep.equal([2]);
  });

  it('kicks a connection on another node at once, and every node hears the session ended', async () => {
    const [a, b, c] = [await node(), await node(), await node()];
    const ended: string[] = [];
    a.onSessionEnded((id) => ended.push(`a${id}`));
    c.onSessionEnded((id) => ended.push(`c${id}`));
    const sink = new RecordingSink();
    await a.attach(7, sink);
    await b.kick(7, 'USER_BANNED', 'an admin banned you');
    await eventually(async () => sink.kicks.length === 1 && ended.length === 2, 5000);
    expect(sink.kicks).to.deep.equal([{ reason: 'USER_BANNED', message: 'an admin banned you' }]);
    expect(ended.sort()).to.deep.equal(['a7', 'c7']);
    expect(await c.onlineAmong([7])).to.deep.equal(new Set());
    await b.deliver([delivery(1, 7)]);
    await a.deliver([delivery(2, 7)]);
    expect(sink.pushed).to.deep.equal([]);
  });

  it('never ends a connection attached after the kick, on any node', async () => {
    const [a, b] = [await node(), await node()];
    const [old, newer, kept] = [new RecordingSink(), new RecordingSink(), new RecordingSink()];
    await a.attach(7, old);
    await b.attach(7, kept);
    await b.kick(7, 'SESSION_REPLACED', 'you logged in somewhere else', kept);
    // Attached on A before A has heard of the kick: the kick names the connections it ends.
    await a.attach(7, newer);
    await eventually(async () => old.kicks.length === 1, 5000);
    const heard = new Promise<void>((resolve) => a.onSessionEnded((id) => id === 99 && resolve()));
    await b.kick(99, 'LOGGED_OUT', 'a later kick, to know the first has been heard');
    await heard;
    expect([newer.kicks, kept.kicks]).to.deep.equal([[], []]);
    expect(await b.onlineAmong([7])).to.deep.equal(new Set([7]));
    await a.detach(7, newer);
    expect(await a.onlineAmong([7])).to.deep.equal(new Set([7]));
    const announced: boolean[] = [];
    b.onPresence((id, online) => id === 7 && announced.push(online));
    await b.detach(7, kept);
    await eventually(async () => announced.includes(false), 5000);
    expect(await a.onlineAmong([7])).to.deep.equal(new Set());
  });

  it('announces presence once across nodes: a user who moves to another node inside the grace period was never offline', async () => {
    const [a, b] = [await node(), await node()];
    const heard: string[] = [];
    a.onPresence((id, online) => heard.push(`a: ${id} ${online ? 'online' : 'offline'}`));
    b.onPresence((id, online) => heard.push(`b: ${id} ${online ? 'online' : 'offline'}`));
    const [first, second] = [new RecordingSink(), new RecordingSink()];
    await a.attach(7, first);
    await a.detach(7, first);
    await b.attach(7, second);
    // User 8 comes and goes after: once A announces it offline, 7's grace period on A is over too.
    const marker = new RecordingSink();
    await a.attach(8, marker);
    await a.detach(8, marker);
    await eventually(async () => heard.includes('a: 8 offline'), 5000);
    expect(heard.filter((line) => line.includes(' 7 '))).to.deep.equal(['a: 7 online']);
    await b.detach(7, second);
    await eventually(async () => heard.includes('b: 7 offline'), 5000);
    expect(heard.filter((line) => line.includes(' 7 '))).to.deep.equal(['a: 7 online', 'b: 7 offline']);
  });

  it('passes notices to whichever node holds the user', async () => {
    const [a, b] = [await node(), await node()];
    const [here, there] = [new RecordingSink(), new RecordingSink()];
    await a.attach(7, here);
    await b.attach(7, there);
    const notice: Notice = { type: 'group-presence', groups: [{ id: 1, name: 'team', online: 2, total: 3 }] };
    await a.notify([{ userId: 7, notice }]);
    await eventually(async () => there.notices.length === 1, 5000);
    expect([here.notices, there.notices]).to.deep.equal([[notice], [notice]]);
  });

  it('carries out a kick made while a node was cut off from Redis, once it is back', async () => {
    const [a, b] = [await node(), await node()];
    const ended: UserId[] = [];
    a.onSessionEnded((id) => ended.push(id));
    const sink = new RecordingSink();
    await a.attach(7, sink);
    // Cut every connection of node A, then kick at once, before A has reconnected.
    const clients = (await admin.client('LIST')) as string;
    const ids = [...clients.matchAll(/id=(\d+) .*name=(\S+)/g)].filter(([, , name]) => name?.startsWith(`parley:${a.nodeId}:`)).map(([, id]) => id as string);
    expect(ids).to.have.length(3);
    for (const id of ids) await admin.client('KILL', 'ID', id);
    await b.kick(7, 'USER_BANNED', 'an admin banned you');
    await eventually(async () => sink.kicks.length === 1, 5000);
    expect(sink.kicks).to.deep.equal([{ reason: 'USER_BANNED', message: 'an admin banned you' }]);
    expect(ended).to.deep.equal([7]);
  });

  it('announces a user offline once Redis answers again, when it could not as the grace period ended', async function () {
    this.timeout(10_000);
    const hub = await RedisSessionHub.connect(TEST_REDIS, { prefix, presenceTimeoutMs: 5000, presenceGraceMs: 200, commandTimeoutMs: 100 });
    open.push(hub);
    const heard: string[] = [];
    hub.onPresence((id, online) => heard.push(`${id} ${online ? 'online' : 'offline'}`));
    const sink = new RecordingSink();
    await hub.attach(7, sink);
    await hub.detach(7, sink);
    // Redis holds every command for 1.5 s: the grace period ends meanwhile, and its claim times out.
    await admin.client('PAUSE', 1500, 'ALL');
    await eventually(async () => heard.includes('7 offline'), 6000);
    expect(heard).to.deep.equal(['7 online', '7 offline']);
    expect(await hub.onlineAmong([7])).to.deep.equal(new Set());
  });

  it('counts the users of a node that died offline once its presence times out', async function () {
    this.timeout(10_000);
    const watcher = await node();
    const script = fileURLToPath(new URL('../support/hub-node.js', import.meta.url));
    const child = spawn(process.execPath, [script, TEST_REDIS, prefix, '600', '7'], { stdio: ['ignore', 'pipe', 'inherit'] });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    await new Promise<void>((resolve, reject) => {
      child.once('exit', (code) => reject(new Error(`the hub node exited with ${code}`)));
      child.stdout!.on('data', (chunk: Buffer) => chunk.toString().includes('attached') && resolve());
    });
    expect(await watcher.onlineAmong([7])).to.deep.equal(new Set([7]));
    child.kill('SIGKILL');
    await exited;
    const died = Date.now();
    await eventually(async () => (await watcher.onlineAmong([7])).size === 0, 5000);
    expect(Date.now() - died).to.be.below(1500);
    expect(await admin.smembers(`${prefix}presence:7`)).to.deep.equal([]);
  });

  it('answers HUB_UNAVAILABLE while Redis is away, and by itself resumes presence and pushes when it is back empty', async function () {
    this.timeout(15_000);
    const redis = await RedisProcess.start();
    try {
      const [a, b] = [await node(300, redis.url), await node(300, redis.url)];
      const sink = new RecordingSink();
      await a.attach(7, sink);
      await redis.stop();
      const refused = await b.onlineAmong([7]).catch((error: unknown) => error);
      expect(refused).to.be.instanceOf(SessionHubError).and.to.include({ code: 'HUB_UNAVAILABLE', retryAfterMs: 1000 });
      expect(await a.attach(8, new RecordingSink()).catch((error: unknown) => (error as SessionHubError).code)).to.equal('HUB_UNAVAILABLE');
      await b.deliver([delivery(1, 7)]); // stored already by the caller: a lost push is not an error
      await redis.restart();
      await eventually(async () => (await b.onlineAmong([7, 8]).catch(() => new Set())).has(7), 5000);
      expect(await b.onlineAmong([7, 8])).to.deep.equal(new Set([7]));
      await eventually(async () => {
        await b.deliver([delivery(2, 7)]);
        return sink.pushed.length > 0;
      }, 5000);
      expect(sink.pushed.every((d) => d.id === 2)).to.equal(true);
    } finally {
      await Promise.all(open.splice(0).map((hub) => hub.close()));
      await redis.stop();
    }
  });
});
