import { expect } from 'chai';
import { pino } from 'pino';
import { MAX_HELD_PUSHES } from '../../../application/delivery-service.js';
import { GROUP_NAME_MAX_LENGTH, MESSAGE_MAX_LENGTH, USERNAME_MAX_LENGTH, type User } from '../../../domain/index.js';
import { TcpGateway } from '../../../interfaces/tcp/tcp-gateway.js';
import { MIN_MAX_PAYLOAD_BYTES } from '../../../interfaces/wire/index.js';
import { eventually } from '../../support/world.js';
import { GatewayFixture, type Frame } from './gateway-fixture.js';

const LONGEST_TEXT = '😀'.repeat(MESSAGE_MAX_LENGTH);

describe('TcpGateway limits, on a real loopback socket', function () {
  this.timeout(60_000);
  let fixture: GatewayFixture;
  afterEach(() => fixture.stop());

  describe('the frame limit', () => {
    it(`is at least ${MIN_MAX_PAYLOAD_BYTES} bytes`, async () => {
      fixture = await GatewayFixture.start({ maxPayloadBytes: MIN_MAX_PAYLOAD_BYTES });
      const make = (maxPayloadBytes: number) => () => new TcpGateway(fixture.app, { host: '127.0.0.1', port: 0, logger: pino({ level: 'silent' }), limits: { maxPayloadBytes } });
      expect(make(MIN_MAX_PAYLOAD_BYTES - 1)).to.throw(RangeError, `at least ${MIN_MAX_PAYLOAD_BYTES} (got ${MIN_MAX_PAYLOAD_BYTES - 1})`);
      expect(make(4096)).to.throw(RangeError);
      expect(make(Number.NaN)).to.throw(RangeError);
      expect(make(MIN_MAX_PAYLOAD_BYTES)).to.not.throw();
    });

    it('at its smallest, carries the largest message there is, live and again at a later login', async () => {
      fixture = await GatewayFixture.start({ maxPayloadBytes: MIN_MAX_PAYLOAD_BYTES });
      const longName = 'm'.repeat(USERNAME_MAX_LENGTH);
      const sender = await fixture.user(longName);
      await fixture.user('alice');
      const groupName = '😀'.repeat(GROUP_NAME_MAX_LENGTH);
      const group = await fixture.app.groups.create(sender, groupName);
      await fixture.app.groups.invite(sender, { name: groupName }, 'alice');
      const { peer: listener } = await fixture.loggedIn('alice');
      const { peer: sending, token } = await fixture.loggedIn(longName);
      const sent = await fixture.call(sending, 'sendgroup', { group: group.id, text: LONGEST_TEXT }, token);
      expect(sent).to.deep.include({ status: 'ok' });
      const live = await listener.nextDelivery();
      expect(live).to.deep.include({ event: 'message' }).and.to.have.nested.property('data.text', LONGEST_TEXT);
      expect(live).to.have.nested.property('data.group.name', groupName);
      const replayed: Frame[] = [];
      const later = await fixture.peer();
      const login = await fixture.call(later, 'login', { username: 'alice', password: 'pw-alice-123' }, undefined, replayed);
      expect(login).to.deep.include({ status: 'ok' });
      expect(replayed.map((frame) => frame.id)).to.include(live.id);
      expect(replayed.at(-1)).to.deep.equal(live);
    });
  });

  describe('a peer that does not read', () => {
    let alice: User;

    /** A gateway with the given ping interval and timeout, where alice and bob are friends. */
    const start = async (pingMs: number) => {
      fixture = await GatewayFixture.start({ pingIntervalMs: pingMs, pingTimeoutMs: pingMs });
      alice = await fixture.user('alice');
      await fixture.user('bob');
      await fixture.app.friends.add(alice, 'bob');
    };
    const bobIsOnline = async () => (await fixture.app.friends.list(alice)).items[0]!.online;
    const fill = async (count: number, text = LONGEST_TEXT) => {
      for (let i = 0; i < count; i++) await fixture.app.messaging.sendPrivate(alice, 'bob', text);
    };
    /**
     * How many deliveries wait for bob, as a later login of his reports. That login answers
     * pings as the SDK does: its replay of up to 16 MB may outlast this server's short ping timeout.
     */
    const queuedForBob = async () => {
      const peer = await fixture.peer();
      peer.request('login', 'login', { username: 'bob', password: 'pw-bob-123' });
      for (;;) {
        const frame = await peer.next();
        if (frame.type === 'event' && frame.event === 'ping') peer.request('pong', 'ping');
        if (frame.type === 'response' && frame.id === 'login') {
          peer.end();
          return (frame.data as { backlog: number }).backlog;
        }
      }
    };
    /** Bob logs in on a connection that reads nothing, so his backlog's replay waits on it. */
    const bobLogsInWithoutReading = async () => {
      const peer = await fixture.peer();
      peer.socket.pause();
      peer.request(1, 'login', { username: 'bob', password: 'pw-bob-123' });
      await eventually(bobIsOnline);
      return peer;
    };

    it('is cut off once 8 MiB wait for it, and loses nothing', async () => {
      await start(120_000);
      const { peer } = await fixture.loggedIn('bob');
      peer.socket.pause();
      await fill(1000);
      await eventually(async () => !(await bobIsOnline()));
      expect(await queuedForBob()).to.equal(1001);
    });

    it('is closed by the ping timeout when it takes nothing, even in the middle of its backlog', async () => {
      await start(500);
      await fill(1000);
      await bobLogsInWithoutReading();
      await eventually(async () => !(await bobIsOnline()), 10_000);
      expect(await queuedForBob()).to.equal(1001);
    });

    it('that reads slowly in the middle of its backlog is served at its pace, not cut off because its writes take long', async () => {
      fixture = await GatewayFixture.start({ idleTimeoutMs: 200 });
      alice = await fixture.user('alice');
      await fixture.user('bob');
      await fixture.app.friends.add(alice, 'bob');
      await fill(1000);
      const peer = await bobLogsInWithoutReading();
      // 8 KiB every 50 ms, far slower than one backlog page leaves: the page's write waits many idle timeouts.
      let taken = 0;
      while (taken < 256 * 1024) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        taken += (peer.socket.read(8 * 1024) as Buffer | null)?.length ?? 0;
        expect(peer.closed, 'closed while reading').to.equal(false);
      }
      expect(await bobIsOnline()).to.equal(true);
    });

    it(`is told it is TOO_SLOW when more than ${MAX_HELD_PUSHES} pushes wait behind its backlog, and closed`, async () => {
      await start(120_000);
      await fill(1000);
      const peer = await bobLogsInWithoutReading();
      await new Promise((resolve) => setTimeout(resolve, 500));
      await fill(MAX_HELD_PUSHES + 1, 'hurry up');
      peer.socket.resume();
      const frames = await peer.framesUntilClosed();
      expect(frames.at(-1)).to.deep.include({ event: 'kicked' }).and.to.have.nested.property('data.reason', 'TOO_SLOW');
      // The login it sent is answered before the kick, as every request read before a close is.
      expect(frames.filter((frame) => frame.type === 'response').map((frame) => frame.id)).to.deep.equal([1]);
      await eventually(async () => !(await bobIsOnline()));
      expect(await queuedForBob()).to.equal(1 + 1000 + MAX_HELD_PUSHES + 1);
    });
  });
});
