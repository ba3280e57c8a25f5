import { expect } from 'chai';
import { createServer, type Server } from 'node:net';
import { pino } from 'pino';
import type { Repositories } from '../../../application/ports/unit-of-work.js';
import type { User } from '../../../domain/index.js';
import { ChatSession } from '../../../interfaces/session/chat-session.js';
import { DEFAULT_CONNECTION_LIMITS } from '../../../interfaces/tcp/tcp-gateway.js';
import { DEFAULT_REQUEST_LIMITS, RequestThrottle } from '../../../interfaces/session/request-throttle.js';
import { TcpTransport } from '../../../interfaces/tcp/tcp-transport.js';
import { RawPeer } from '../../support/raw-peer.js';
import { eventually } from '../../support/world.js';
import { GatewayFixture, type Frame } from '../tcp/gateway-fixture.js';

/** The text of a pushed `message` event. */
const text = (frame: Frame) => {
  expect(frame).to.deep.include({ type: 'event', event: 'message' });
  return (frame.data as { text: string }).text;
};

describe('ChatSession, through a real TcpGateway', () => {
  let fixture: GatewayFixture;
  let alice: User;
  let bob: User;

  beforeEach(async () => {
    fixture = await GatewayFixture.start();
    alice = await fixture.user('alice');
    bob = await fixture.user('bob');
    await fixture.app.friends.add(alice, 'bob');
  });
  afterEach(() => fixture.stop());

  describe('identity', () => {
    let lookups: number;

    beforeEach(() => {
      lookups = 0;
      const liveSession = fixture.app.accounts.liveSession.bind(fixture.app.accounts);
      fixture.app.accounts.liveSession = (token) => {
        lookups++;
        return liveSession(token);
      };
    });

    it('is looked up once per login: later requests with its token ask storage nothing', async () => {
      const { peer, token } = await fixture.loggedIn('alice');
      lookups = 0;
      expect(await fixture.call(peer, 'whoami', {}, token)).to.deep.include({ status: 'ok', data: { user: { id: alice.id, username: 'alice', isAdmin: false, banned: false } } });
      expect(await fixture.call(peer, 'friends', {}, token)).to.deep.include({ status: 'ok' });
      await fixture.call(peer, 'send', { to: 'bob', text: 'hi' }, token);
      expect(lookups).to.equal(0);
    });

    it('is looked up afresh for a request with another token, and for every admin operation', async () => {
      const { peer, token } = await fixture.loggedIn('alice');
      const bobs = (await fixture.app.accounts.login('bob', 'pw-bob-123', '127.0.0.1')).token;
      lookups = 0;
      for (let i = 0; i < 2; i++) {
        expect(await fixture.call(peer, 'whoami', {}, bobs)).to.deep.include({ data: { user: { id: bob.id, username: 'bob', isAdmin: false, banned: false } } });
      }
      expect(lookups).to.equal(2);
      await fixture.app.accounts.promote('alice', true);
      expect(await fixture.call(peer, 'allgroup', {}, token)).to.deep.include({ status: 'ok' });
      expect(await fixture.call(peer, 'whoami', {}, token)).to.deep.include({ data: { user: { id: alice.id, username: 'alice', isAdmin: true, banned: false } } });
      await fixture.app.accounts.promote('alice', false);
      expect(await fixture.call(peer, 'allgroup', {}, token)).to.deep.include({ status: 'fail', code: 'NOT_ADMIN' });
      expect(lookups).to.equal(4);
    });

    it('is looked up on every request of a connection that is not attached', async () => {
      const { token } = await fixture.loggedIn('alice');
      const oneShot = await fixture.peer();
      lookups = 0;
      for (let i = 0; i < 3; i++) expect(await fixture.call(oneShot, 'whoami', {}, token)).to.deep.include({ status: 'ok' });
      expect(lookups).to.equal(3);
    });

    it('is forgotten after a failed login, and looked up again at the next request', async () => {
      const { peer, token } = await fixture.loggedIn('alice');
      await fixture.call(peer, 'login', { username: 'alice', password: 'not the password' });
      lookups = 0;
      for (let i = 0; i < 2; i++) expect(await fixture.call(peer, 'whoami', {}, token)).to.deep.include({ status: 'ok' });
      expect(lookups).to.equal(1);
    });

    const ends: Record<string, { code: string; reason: string; end(token: string): Promise<unknown> }> = {
      'a newer login': { code: 'SESSION_EXPIRED', reason: 'SESSION_REPLACED', end: () => fixture.app.accounts.login('alice', 'pw-alice-123', '127.0.0.1') },
      'a logout': { code: 'SESSION_EXPIRED', reason: 'LOGGED_OUT', end: (token) => fixture.app.accounts.logout(token) },
      // A ban revokes the token itself: it is refused as any ended session is, and never works again.
      'a ban': {
        code: 'SESSION_EXPIRED',
        reason: 'USER_BANNED',
        end: async () => {
          const boss = await fixture.user('boss');
          await fixture.app.accounts.promote('boss', true);
          await fixture.app.admin.banUser({ ...boss, isAdmin: true }, 'alice');
        },
      },
    };
    for (const [name, { code, reason, end }] of Object.entries(ends)) {
      it(`is refused on every connection, attached or not, after ${name}`, async () => {
        const { peer: attached, token } = await fixture.loggedIn('alice');
        const oneShot = await fixture.peer();
        expect(await fixture.call(attached, 'whoami', {}, token)).to.deep.include({ status: 'ok' });
        expect(await fixture.call(oneShot, 'whoami', {}, token)).to.deep.include({ status: 'ok' });
        await end(token);
        expect(await attached.next()).to.deep.include({ event: 'kicked' }).and.to.have.nested.property('data.reason', reason);
        await attached.closedByServer();
        expect(await fixture.call(oneShot, 'whoami', {}, token)).to.deep.include({ status: 'fail', code });
        expect(await fixture.call(oneShot, 'friends', {}, token)).to.deep.include({ status: 'fail', code });
      });
    }

    it('is never taken from an attach that the end of its session overtook', async () => {
      const { token } = await fixture.loggedIn('alice');
      const attach = fixture.app.delivery.attach.bind(fixture.app.delivery);
      fixture.app.delivery.attach = async (userId, sink) => {
        // Ends the session after the token was checked but before the hub holds the sink, so no kick reaches it.
        await fixture.app.accounts.logout(token);
        return attach(userId, sink);
      };
      const late = await fixture.peer();
      expect(await fixture.call(late, 'attach', {}, token)).to.deep.include({ status: 'fail', code: 'SESSION_EXPIRED' });
      expect(await fixture.call(late, 'whoami', {}, token)).to.deep.include({ status: 'fail', code: 'SESSION_EXPIRED' });
      // Nothing of alice's stays attached: she goes offline once the presence grace has passed.
      await eventually(async () => !(await fixture.app.friends.list(bob)).items[0]!.online, 2_000);
    });
  });

  describe('a failed login', () => {
    it('leaves an attached connection attached to its session: pushes still arrive', async () => {
      const { peer, token } = await fixture.loggedIn('alice', []);
      const wrong = await fixture.call(peer, 'login', { username: 'alice', password: 'not the password' });
      expect(wrong).to.deep.include({ status: 'fail', code: 'WRONG_PASSWORD' });
      await fixture.app.messaging.sendPrivate(bob, 'alice', 'still there?');
      expect(text(await peer.next())).to.equal('still there?');
      expect(await fixture.call(peer, 'whoami', {}, token)).to.deep.include({ status: 'ok' });
    });

    it('still carries out a kick of the earlier session that arrived while it ran', async () => {
      const { peer, token } = await fixture.loggedIn('alice', []);
      const login = fixture.app.accounts.login.bind(fixture.app.accounts);
      fixture.app.accounts.login = async (...args) => {
        await fixture.app.accounts.logout(token);
        return login(...args);
      };
      peer.request(1, 'login', { username: 'alice', password: 'not the password' });
      expect(await peer.next()).to.deep.include({ id: 1, status: 'fail', code: 'WRONG_PASSWORD' });
      expect(await peer.next()).to.deep.include({ event: 'kicked', data: { reason: 'LOGGED_OUT', message: 'you logged out' } });
      await peer.closedByServer();
    });
  });

  describe('a login on an attached connection', () => {
    it('replaces its session without kicking it: the old token is refused, pushes go on', async () => {
      const { peer, token } = await fixture.loggedIn('alice', []);
      expect(await fixture.call(peer, 'login', { username: 'alice', password: 'pw-alice-123' })).to.deep.include({ status: 'ok' });
      expect(await fixture.call(peer, 'whoami', {}, token)).to.deep.include({ status: 'fail', code: 'SESSION_EXPIRED' });
      await fixture.app.messaging.sendPrivate(bob, 'alice', 'hello again');
      expect(text(await peer.next())).to.equal('hello again');
    });

    it('as someone else, moves the connection to their pushes', async () => {
      const { peer } = await fixture.loggedIn('alice', []);
      expect(await fixture.call(peer, 'login', { username: 'bob', password: 'pw-bob-123' })).to.deep.include({ status: 'ok' });
      await fixture.app.messaging.sendPrivate(bob, 'alice', 'for alice');
      await fixture.app.messaging.sendPrivate(alice, 'bob', 'for bob');
      expect(text(await peer.nextDelivery())).to.equal('for bob');
      // Bob hears alice go offline, but none of her messages.
      expect(await peer.nextDelivery(300).catch((error: Error) => error.message)).to.equal('no frame in time');
    });
  });

  describe('a connection that closes', () => {
    it('leaves nothing attached, even when a login it sent finishes after it closed', async () => {
      const login = fixture.app.accounts.login.bind(fixture.app.accounts);
      let logins = 0;
      fixture.app.accounts.login = async (...args) => {
        logins++;
        await new Promise((resolve) => setTimeout(resolve, 100));
        return login(...args);
      };
      const peer = await fixture.peer();
      peer.request(1, 'login', { username: 'bob', password: 'pw-bob-123' });
      peer.socket.end();
      while (logins === 0) await new Promise((resolve) => setTimeout(resolve, 10));
      await new Promise((resolve) => setTimeout(resolve, 300));
      // Nothing of bob's stays attached: he goes offline once the presence grace has passed.
      await eventually(async () => !(await fixture.app.friends.list(alice)).items[0]!.online, 2_000);
    });
  });

  describe('a request that is not pipelined', () => {
    it('waits until the sends before it have taken their place in storage order: a group deleted right after a send to it gets the send first', async () => {
      const { peer, token } = await fixture.loggedIn('alice');
      const created = await fixture.call(peer, 'newgroup', { name: 'g' }, token);
      const groupId = (created.data as { group: { id: number } }).group.id;
      expect(await fixture.call(peer, 'addgroupuser', { name: 'g', username: 'bob' }, token)).to.deep.include({ status: 'ok' });
      // The send's first lookup of the group waits at a gate until the test lets it go.
      const groups = (fixture.app.groups as unknown as { repositories: Repositories }).repositories.groups;
      const byId = groups.byId.bind(groups);
      let reached = false;
      let letGo!: () => void;
      const gate = new Promise<void>((resolve) => (letGo = resolve));
      groups.byId = async (id) => {
        if (!reached) {
          reached = true;
          await gate;
        }
        return byId(id);
      };
      peer.request(101, 'sendgroup', { group: groupId, text: 'last words' }, token);
      peer.request(102, 'delgroup', { name: 'g' }, token);
      const answers: Frame[] = [];
      const reading = (async () => {
        while (answers.length < 2) {
          const frame = await peer.next();
          if (frame.type === 'response') answers.push(frame);
        }
      })();
      await eventually(async () => reached);
      for (let turn = 0; turn < 50 && answers.length === 0; turn++) await new Promise((resolve) => setImmediate(resolve));
      expect(answers, 'the delete was answered while the send before it was still being checked').to.deep.equal([]);
      letGo();
      await reading;
      expect(answers.map(({ id, status }) => [id, status]).sort()).to.deep.equal([
        [101, 'ok'],
        [102, 'ok'],
      ]);
      const waiting = await fixture.app.delivery.pending(bob.id);
      expect(waiting.items.map(({ message }) => message.text).slice(-2)).to.deep.equal(['last words', 'alice deleted the group g@alice']);
    });
  });

  describe('a push that cannot be framed', () => {
    let server: Server;
    const logged: { level: number; msg: string }[] = [];

    // A transport with a frame limit the gateway would refuse, as if a push were ever too large.
    beforeEach(async () => {
      logged.length = 0;
      const log = pino({ level: 'error' }, { write: (line: string) => logged.push(JSON.parse(line) as { level: number; msg: string }) });
      server = createServer((socket) => {
        const limits = { ...DEFAULT_CONNECTION_LIMITS, maxPayloadBytes: 4096 };
        const transport = new TcpTransport(socket, limits, log);
        transport.start(new ChatSession(transport, fixture.app, limits, log, new RequestThrottle(DEFAULT_REQUEST_LIMITS).connection()));
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    });
    afterEach(() => new Promise((resolve) => server.close(resolve)));

    it('closes the connection instead of failing the login, and stays queued', async () => {
      await fixture.app.messaging.sendPrivate(alice, 'bob', '😀'.repeat(2000));
      const peer = await RawPeer.open((server.address() as { port: number }).port);
      peer.request(1, 'login', { username: 'bob', password: 'pw-bob-123' });
      expect(await peer.next()).to.deep.include({ event: 'message', id: 1 }).and.to.have.nested.property('data.topic', 'friend-added');
      expect(await peer.next().catch((error: Error) => error.message)).to.equal('connection closed');
      expect(logged.map(({ msg }) => msg)).to.deep.equal(['cannot send an event; closing the connection']);
      const replayed: Frame[] = [];
      await fixture.loggedIn('bob', replayed);
      expect(replayed.map((frame) => frame.id)).to.deep.equal([1, 2]);
    });
  });
});
