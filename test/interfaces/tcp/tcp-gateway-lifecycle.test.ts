import { expect } from 'chai';
import { createServer, type Server, type Socket } from 'node:net';
import { pino } from 'pino';
import type { User } from '../../../domain/index.js';
import { RequestThrottle } from '../../../interfaces/session/request-throttle.js';
import { ChatSession } from '../../../interfaces/session/chat-session.js';
import { DEFAULT_CONNECTION_LIMITS, type ConnectionLimits } from '../../../interfaces/tcp/tcp-gateway.js';
import { TcpTransport } from '../../../interfaces/tcp/tcp-transport.js';
import { encodeFrame } from '../../../interfaces/wire/index.js';
import { chatctl, ServerProcess, temporaryDirectory } from '../../support/processes.js';
import { RawPeer } from '../../support/raw-peer.js';
import { eventually } from '../../support/world.js';
import { GatewayFixture, type Frame } from './gateway-fixture.js';

const HTTP_REQUEST = Buffer.from('GET / HTTP/1.1\r\nHost: example\r\n\r\n');

/** A pino logger that keeps every line, to check the `disconnected` lines an operator would match. */
function recordingLogger() {
  const lines: Record<string, unknown>[] = [];
  return { lines, logger: pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) }) };
}

describe('TcpGateway connection lifecycle, on a real loopback socket', function () {
  this.timeout(20_000);

  describe('a fatal frame error', () => {
    let server: Server;
    let accepted: { socket: Socket; closedAt?: number }[];
    let port: number;
    let fixture: GatewayFixture;
    const limits: ConnectionLimits = { ...DEFAULT_CONNECTION_LIMITS, closeGraceMs: 300 };

    // Sessions wired as the gateway wires them, on sockets the test can look at from the server's side.
    beforeEach(async () => {
      fixture = await GatewayFixture.start(limits);
      accepted = [];
      server = createServer((socket) => {
        const seen: { socket: Socket; closedAt?: number } = { socket };
        accepted.push(seen);
        socket.once('close', () => (seen.closedAt = Date.now()));
        const transport = new TcpTransport(socket, limits, pino({ level: 'silent' }));
        transport.start(new ChatSession(transport, fixture.app, limits, pino({ level: 'silent' }), new RequestThrottle(limits).connection()));
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      port = (server.address() as { port: number }).port;
    });
    /** The test's peers, which it may have paused: a paused socket never sees the server's FIN, so it is ended here. */
    const peers: RawPeer[] = [];
    const open = async (): Promise<RawPeer> => {
      const peer = await RawPeer.open(port);
      peers.push(peer);
      return peer;
    };
    afterEach(async () => {
      for (const peer of peers.splice(0)) peer.end();
      for (const { socket } of accepted) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
      await fixture.stop();
    });

    it('stops reading at once: an HTTP request then 16 MiB more leave the server having read almost none of it', async () => {
      const peer = await open();
      peer.socket.on('error', () => {}); // the server resets the connection under the peer's writes
      const sentAt = Date.now();
      peer.write(HTTP_REQUEST);
      for (let i = 0; i < 256; i++) peer.write(Buffer.alloc(64 * 1024, 'x'));
      expect(await peer.next()).to.deep.include({ type: 'response', id: null, status: 'error', code: 'BAD_MAGIC' });
      await eventually(() => Promise.resolve(accepted[0]?.closedAt !== undefined), 5000);
      const [{ socket, closedAt }] = accepted as [{ socket: Socket; closedAt: number }];
      expect(socket.bytesRead, 'bytes the server read').to.be.below(1024 * 1024);
      expect(closedAt - sentAt, 'destroyed within the close grace, though the peer never sent its FIN').to.be.below(limits.closeGraceMs + 1000);
    });

    it('cuts off within the close grace a peer that neither reads nor sends its FIN', async () => {
      const peer = await open();
      peer.socket.pause();
      const sentAt = Date.now();
      peer.write(encodeFrame({ type: 'request', id: 1, op: 'ping' }));
      peer.write(HTTP_REQUEST);
      await eventually(() => Promise.resolve(accepted[0]?.closedAt !== undefined), 5000);
      expect(accepted[0]!.closedAt! - sentAt).to.be.below(limits.closeGraceMs + 1000);
    });
  });

  describe('what is owed before a close', () => {
    let fixture: GatewayFixture;
    let alice: User;
    afterEach(() => fixture.stop());
    beforeEach(async () => {
      fixture = await GatewayFixture.start();
      alice = await fixture.user('alice');
      await fixture.user('bob');
      await fixture.app.friends.add(alice, 'bob');
    });

    it('answers the requests read before a bad frame, a pipelined send included, then the error frame, then closes', async () => {
      const { peer, token } = await fixture.loggedIn('alice');
      peer.write(
        Buffer.concat([
          encodeFrame({ type: 'request', id: 'who', op: 'whoami', token }),
          encodeFrame({ type: 'request', id: 'send', op: 'send', token, args: { to: 'bob', text: 'written before the bad frame' } }),
          HTTP_REQUEST,
        ]),
      );
      const frames = await peer.framesUntilClosed();
      expect(frames.map((frame) => [frame.id, frame.status, frame.code])).to.deep.equal([
        ['who', 'ok', undefined],
        ['send', 'ok', undefined],
        [null, 'error', 'BAD_MAGIC'],
      ]);
      const backlog: Frame[] = [];
      await fixture.loggedIn('bob', backlog);
      expect(backlog.map((frame) => (frame.data as { text: string }).text)).to.include('written before the bad frame');
    });

    it('executes nothing sent after the server decided to close', async () => {
      await fixture.stop();
      fixture = await GatewayFixture.start({ loginTimeoutMs: 300 });
      const peer = await fixture.peer();
      expect(await peer.next()).to.deep.include({ id: null, status: 'error', code: 'LOGIN_TIMEOUT' });
      peer.request(1, 'register', { username: 'latecomer', password: 'correct horse' });
      await peer.closedByServer();
      expect(await fixture.app.accounts.login('latecomer', 'correct horse', '127.0.0.1').catch((error: Error) => error.message)).to.equal('there is no user called latecomer');
    });
  });

  describe('deadlines', () => {
    let fixture: GatewayFixture;
    let log: ReturnType<typeof recordingLogger>;
    afterEach(() => fixture.stop());

    const start = async (limits: Partial<ConnectionLimits>) => {
      log = recordingLogger();
      fixture = await GatewayFixture.start(limits, log.logger);
    };
    const disconnects = () => log.lines.filter((line) => line.event === 'disconnected').map(({ limit, user }) => ({ limit, user }));

    it('closes a connection that has not logged in by the login deadline, however it trickles, and not one with a valid token', async () => {
      await start({ loginTimeoutMs: 600 });
      const bob = await fixture.user('bob');
      const { token } = await fixture.app.accounts.login('bob', 'pw-bob-123', '127.0.0.1');
      const withToken = await fixture.peer();
      expect(await fixture.call(withToken, 'whoami', {}, token)).to.deep.include({ status: 'ok' });
      const trickler = await fixture.peer();
      const openedAt = Date.now();
      const frames: Frame[] = [];
      // A ping every 100 ms: frames keep coming, but none of them logs in.
      for (;;) {
        const answer = await fixture.call(trickler, 'ping', {}, undefined, frames).catch(() => null);
        if (!answer) break;
        expect(answer).to.deep.include({ status: 'ok', data: {} });
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(Date.now() - openedAt).to.be.within(500, 3000);
      expect(frames.at(-1)).to.deep.include({ id: null, status: 'error', code: 'LOGIN_TIMEOUT' });
      expect(frames.at(-1)!.message).to.equal('log in within 0.6 s of connecting');
      expect(await fixture.call(withToken, 'whoami', {}, token)).to.deep.include({ status: 'ok', data: { user: { id: bob.id, username: 'bob', isAdmin: false, banned: false } } });
      expect(disconnects()).to.deep.equal([{ limit: 'LOGIN_TIMEOUT', user: undefined }]);
    });

    it('closes a logged-in connection that stops in the middle of a frame at the frame deadline', async () => {
      await start({ frameTimeoutMs: 300 });
      await fixture.user('alice');
      const { peer } = await fixture.loggedIn('alice');
      const startedAt = Date.now();
      peer.write(encodeFrame({ type: 'request', id: 1, op: 'ping' }).subarray(0, 16));
      const frames = await peer.framesUntilClosed();
      expect(Date.now() - startedAt).to.be.within(250, 2000);
      expect(frames).to.deep.equal([{ type: 'response', id: null, status: 'error', code: 'FRAME_TIMEOUT', message: 'a frame was begun but not completed within 0.3 s' }]);
      expect(disconnects()).to.deep.equal([{ limit: 'FRAME_TIMEOUT', user: 'alice' }]);
    });

    it('pings an attached peer that goes quiet, keeps one that answers, and closes and counts offline one that does not', async () => {
      await start({ pingIntervalMs: 200, pingTimeoutMs: 300 });
      const carol = await fixture.user('carol');
      for (const name of ['alice', 'bob']) {
        await fixture.user(name);
        await fixture.app.friends.add(carol, name);
      }
      const online = async () => Object.fromEntries((await fixture.app.friends.list(carol)).items.map((friend) => [friend.username, friend.online]));
      const { peer: answering } = await fixture.loggedIn('alice');
      let pongs = 0;
      const answer = async () => {
        for (;;) {
          const frame = await answering.next(10_000).catch(() => null);
          if (!frame) return;
          if (frame.event === 'ping') answering.request(`pong-${++pongs}`, 'ping');
        }
      };
      void answer();
      const { peer: silent } = await fixture.loggedIn('bob');
      const frames = await silent.framesUntilClosed();
      expect(frames).to.deep.equal([
        { type: 'event', event: 'ping', data: {} },
        { type: 'response', id: null, status: 'error', code: 'PING_TIMEOUT', message: 'no answer to a ping within 0.3 s' },
      ]);
      await eventually(async () => (await online()).bob === false);
      expect(pongs).to.be.at.least(1);
      expect(await online()).to.deep.equal({ alice: true, bob: false });
      expect(disconnects()).to.deep.equal([{ limit: 'PING_TIMEOUT', user: 'bob' }]);
    });
  });

  describe('chatctl serve', () => {
    const tmp = temporaryDirectory();
    after(() => tmp.remove());

    it('takes the deadlines in seconds and refuses one that is not a positive duration', async () => {
      const refused = await chatctl(['serve', '--port', '0', '--db', 'memory', '--ping-timeout', '0'], {});
      expect(refused.code).to.equal(2);
      expect(refused.stderr).to.contain('--ping-timeout must be a number of seconds from 0.001 to');
      const server = await ServerProcess.start(`${tmp.path}/chat.sqlite`, ['--login-timeout', '0.3']);
      try {
        const peer = await RawPeer.open(server.port);
        expect(await peer.next()).to.deep.include({ id: null, status: 'error', code: 'LOGIN_TIMEOUT' });
        await peer.closedByServer();
        expect(await server.running.stderr.waitFor(/"event":"disconnected"/)).to.contain('"limit":"LOGIN_TIMEOUT"');
      } finally {
        await server.stop();
      }
    });
  });
});
