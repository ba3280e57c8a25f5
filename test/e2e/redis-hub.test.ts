import { expect } from 'chai';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { chatctl, run, ServerProcess, temporaryDirectory } from '../support/processes.js';
import { freePort, RedisProcess, removeKeys, TEST_REDIS, testRedis, uniquePrefix } from '../support/redis.js';
import { eventually, expectOk, registerCheaply } from '../support/world.js';

describe('serving with a Redis hub, end to end with real processes', function () {
  this.timeout(60_000);
  let tmp: ReturnType<typeof temporaryDirectory>;
  const servers: ServerProcess[] = [];
  beforeEach(() => (tmp = temporaryDirectory()));
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((server) => server.stop()));
    tmp.remove();
  });

  /** The environment of a chatctl acting as `name` against `server`. */
  const as = (name: string, server: ServerProcess) => ({ CHATCTL_HOME: join(tmp.path, 'home'), CHATCTL_SERVER: server.address, CHATCTL_PROFILE: name });
  /** A server on the test's database, with alice and bob registered on it. */
  const serve = async (hub: string, extra: string[] = []) => {
    const db = join(tmp.path, 'chat.sqlite');
    if (servers.length === 0) await registerCheaply(db, ['alice', 'bob']);
    const server = await ServerProcess.start(db, ['--hub', hub, ...extra]);
    servers.push(server);
    return server;
  };
  /** Logs alice and bob in on `server`, and makes them friends. */
  const friends = async (server: ServerProcess) => {
    for (const name of ['alice', 'bob']) await expectOk(chatctl(['login', name, `pw-${name}-123`], as(name, server)));
    await expectOk(chatctl(['add', 'bob'], as('alice', server)));
  };

  it('refuses a hub that is not a Redis URL as bad usage, and an unreachable Redis with one line, before listening', async () => {
    const wrong = await chatctl(['serve', '--port', '0', '--db', 'memory', '--hub', 'http://127.0.0.1:6379'], {});
    expect(wrong.code).to.equal(2);
    expect(wrong.stderr).to.contain('chatctl: --hub must be in-process or redis://host:port (got http://127.0.0.1:6379)');
    const port = await freePort();
    const away = await chatctl(['serve', '--port', '0', '--db', 'memory', '--hub', `redis://127.0.0.1:${port}`], {});
    expect(away.code).to.equal(3);
    expect(away.stderr).to.equal(`chatctl: cannot reach Redis at 127.0.0.1:${port}: connect ECONNREFUSED 127.0.0.1:${port}`);
  });

  describe('on the shared Redis, two nodes over one database', () => {
    let admin: Redis;
    let prefix: string;
    before(async () => (admin = await testRedis()));
    after(() => admin.quit());
    beforeEach(() => (prefix = uniquePrefix()));
    afterEach(() => removeKeys(admin, prefix));

    it('pushes across nodes, shows who is online on either, and a login on one node ends the session on the other', async () => {
      const [a, b] = [await serve(TEST_REDIS, ['--hub-prefix', prefix]), await serve(TEST_REDIS, ['--hub-prefix', prefix])];
      await friends(b);
      const listener = run(['listen'], as('bob', a));
      await listener.stderr.waitFor(/listening as bob/);
      const listing = await chatctl(['friends', '--json'], as('alice', b));
      expect(JSON.parse(listing.stdout)).to.deep.equal({ friends: [{ username: 'bob', admin: false, banned: false, online: true }], nextCursor: null });
      await expectOk(chatctl(['send', 'bob', 'across', 'nodes'], as('alice', b)));
      await listener.stdout.waitFor(/alice: across nodes/);
      await expectOk(chatctl(['login', 'bob', 'pw-bob-123'], { ...as('bob', b), CHATCTL_PROFILE: 'bob-again' }));
      expect(await listener.exited()).to.equal(4);
      expect(listener.stderr.seen.join('\n')).to.contain('you logged in somewhere else');
    });
  });

  it('keeps serving while Redis is away, answers HUB_UNAVAILABLE where it is needed, and recovers by itself', async () => {
    const redis = await RedisProcess.start();
    try {
      const server = await serve(redis.url);
      await friends(server);
      const listener = run(['listen'], as('bob', server));
      await listener.stderr.waitFor(/listening as bob/);
      await redis.stop();
      await server.running.stderr.waitFor(/"event":"hub_unavailable"/);
      const listing = await chatctl(['friends', '--json'], as('alice', server));
      expect(listing.code).to.equal(3);
      expect(JSON.parse(listing.stdout)).to.deep.include({ error: { code: 'HUB_UNAVAILABLE', message: 'the server cannot reach its session hub (Redis): try again in a moment' } });
      const attach = await chatctl(['listen'], as('alice', server));
      expect([attach.code, attach.stderr]).to.deep.equal([3, 'chatctl: the server cannot reach its session hub (Redis): try again in a moment']);
      // Stored before ok, and pushed to a listener on this node; the queue holds it whatever Redis does.
      await expectOk(chatctl(['send', 'bob', 'while', 'away'], as('alice', server)));
      await listener.stdout.waitFor(/alice: while away/);
      await redis.restart();
      await server.running.stderr.waitFor(/"event":"hub_recovered"/);
      // Redis came back empty: the node says again who is attached to it.
      await eventually(async () => {
        const after = await chatctl(['friends', '--json'], as('alice', server));
        return after.code === 0 && (JSON.parse(after.stdout) as { friends: { online: boolean }[] }).friends[0]?.online === true;
      });
      await expectOk(chatctl(['send', 'bob', 'after', 'it', 'came', 'back'], as('alice', server)));
      await listener.stdout.waitFor(/alice: after it came back/);
      listener.child.kill('SIGINT');
      await listener.exited();
    } finally {
      await redis.stop();
    }
  });

  it('loses nothing sent through another node while Redis is away: the listener gets it, in order, at its next attach', async () => {
    const redis = await RedisProcess.start();
    try {
      const [a, b] = [await serve(redis.url), await serve(redis.url)];
      await friends(b);
      const first = run(['listen'], as('bob', a));
      await first.stderr.waitFor(/listening as bob/);
      await redis.stop();
      await b.running.stderr.waitFor(/"event":"hub_unavailable"/);
      for (const text of ['one', 'two', 'three']) await expectOk(chatctl(['send', 'bob', text], as('alice', b)));
      first.child.kill('SIGINT');
      expect(await first.exited()).to.equal(0);
      expect(first.stdout.seen.join('\n')).to.not.contain('alice: one');
      await redis.restart();
      const recovered = await b.running.stderr.waitFor(/"event":"hub_recovered"/);
      expect(JSON.parse(recovered)).to.include({ unpublished: 3 });
      await eventually(async () => (await chatctl(['friends'], as('alice', b))).code === 0);
      const again = run(['listen'], as('bob', b));
      await again.stdout.waitFor(/alice: three/);
      expect(again.stdout.seen.filter((line) => line.includes('alice:')).map((line) => line.replace(/^.*alice: /, ''))).to.deep.equal(['one', 'two', 'three']);
      again.child.kill('SIGINT');
      await again.exited();
    } finally {
      await redis.stop();
    }
  });
});
