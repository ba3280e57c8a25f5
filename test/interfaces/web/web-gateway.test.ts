import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { makeCertificates } from '../../support/certificates.js';
import { temporaryDirectory } from '../../support/processes.js';
import type { RawPeer } from '../../support/raw-peer.js';
import { MESSAGE_MAX_LENGTH } from '../../../domain/index.js';
import { eventually } from '../../support/world.js';
import { WebFixture, WsPeer, type Envelope } from './web-fixture.js';

/** Sends a request on a TCP peer and waits for its response. */
async function tcpCall(peer: RawPeer, id: number, op: string, args: Record<string, unknown> = {}, token?: string): Promise<Envelope> {
  peer.request(id, op, args, token);
  for (;;) {
    const frame = await peer.next();
    if (frame.type === 'response' && frame.id === id) return frame;
  }
}

describe('WebGateway, on a real loopback listener with ws clients', function () {
  this.timeout(30_000);
  let fixture: WebFixture;
  afterEach(() => fixture.stop());

  it('carries the same requests, responses and events as TCP, one JSON envelope per text message', async () => {
    fixture = await WebFixture.start();
    const browser = await fixture.wsPeer();
    expect(await browser.call('register', { username: 'alice', password: 'correct horse' })).to.deep.include({ type: 'response', status: 'ok' });
    expect(await browser.call('login', { username: 'nobody', password: 'whatever pass' })).to.deep.include({ status: 'fail', code: 'UNKNOWN_USER' });
    expect(await browser.call('teleport')).to.deep.include({ status: 'error', code: 'UNKNOWN_OPERATION' });
    const token = await browser.call('login', { username: 'alice', password: 'correct horse' });
    expect(await browser.call('whoami', {}, (token.data as { token: string }).token)).to.have.nested.property('data.user.username', 'alice');
  });

  it('pushes a TCP user\'s message live to a WebSocket user, and forgets it once acknowledged', async () => {
    fixture = await WebFixture.start();
    await fixture.user('alice');
    await fixture.user('bob');
    const bob = await fixture.wsPeer();
    const bobToken = await bob.login('bob');
    const alice = await fixture.tcpPeer();
    const aliceToken = ((await tcpCall(alice, 1, 'login', { username: 'alice', password: 'pw-alice-123' })).data as { token: string }).token;
    expect(await tcpCall(alice, 2, 'add', { username: 'bob' }, aliceToken)).to.deep.include({ status: 'ok' });
    expect(await bob.next()).to.have.nested.property('data.topic', 'friend-added'); // not acknowledged
    expect(await tcpCall(alice, 3, 'send', { to: 'bob', text: 'hello over the web' }, aliceToken)).to.deep.include({ status: 'ok' });
    const pushed = await bob.next();
    expect(pushed).to.deep.include({ type: 'event', event: 'message' });
    expect(pushed).to.have.nested.property('data.text', 'hello over the web');
    expect(pushed).to.have.nested.property('data.from', 'alice');
    expect(await bob.call('ack', { ids: [pushed.id] }, bobToken)).to.deep.include({ status: 'ok' });
    // A later login replays what was not acknowledged, and only that.
    const later = await fixture.wsPeer();
    const replayed: Envelope[] = [];
    await later.login('bob', replayed);
    expect(replayed.map((e) => (e.data as { text: string }).text)).to.deep.equal(['alice added you as a friend']);
  });

  it('keeps one session per user across TCP and WebSocket: each newer login kicks the other', async () => {
    fixture = await WebFixture.start();
    await fixture.user('carol');
    const overTcp = await fixture.tcpPeer();
    expect(await tcpCall(overTcp, 1, 'login', { username: 'carol', password: 'pw-carol-123' })).to.deep.include({ status: 'ok' });
    const overWs = await fixture.wsPeer();
    await overWs.login('carol');
    const tcpFrames = await overTcp.framesUntilClosed();
    expect(tcpFrames.at(-1)).to.deep.include({ event: 'kicked' }).and.to.have.nested.property('data.reason', 'SESSION_REPLACED');
    const again = await fixture.tcpPeer();
    expect(await tcpCall(again, 1, 'login', { username: 'carol', password: 'pw-carol-123' })).to.deep.include({ status: 'ok' });
    // Closed by the closing handshake, well within the close grace (2 s) after which the server would cut it.
    const started = performance.now();
    const { envelopes, code } = await overWs.untilClosed();
    expect(performance.now() - started).to.be.below(1000);
    expect(envelopes.at(-1)).to.deep.include({ event: 'kicked' }).and.to.have.nested.property('data.reason', 'SESSION_REPLACED');
    expect(code).to.equal(1000);
    expect(fixture.tcp.stats().attachedUsers + fixture.web.stats().attachedUsers).to.equal(1);
  });

  it('counts an address\'s connections over both gateways together, and tells a refused WebSocket why', async () => {
    fixture = await WebFixture.start({ maxConnectionsPerAddress: 2 });
    const first = await fixture.tcpPeer();
    const second = await fixture.wsPeer();
    const refused = await fixture.wsPeer();
    const { envelopes, code, reason } = await refused.untilClosed();
    expect(envelopes).to.have.length(1);
    expect(envelopes[0]).to.deep.include({ type: 'response', id: null, status: 'fail', code: 'TOO_MANY_CONNECTIONS' });
    expect([code, reason]).to.deep.equal([1013, 'TOO_MANY_CONNECTIONS']);
    const refusedTcp = await fixture.tcpPeer();
    expect(await refusedTcp.next()).to.deep.include({ code: 'TOO_MANY_CONNECTIONS' });
    // Those let in are served as before.
    expect(await second.call('ping')).to.deep.include({ status: 'ok' });
    expect(await tcpCall(first, 1, 'ping')).to.deep.include({ status: 'ok' });
  });

  it('shares the request budget of a token across both gateways', async () => {
    fixture = await WebFixture.start({ requestBurst: 3, requestsPerSecond: 0.5 });
    await fixture.user('dave');
    const web = await fixture.wsPeer();
    const token = await web.login('dave');
    const tcp = await fixture.tcpPeer();
    // login took one unit of the connection's budget, not the token's: three at once, then the fourth waits.
    for (let id = 1; id <= 3; id++) expect(await tcpCall(tcp, id, 'whoami', {}, token)).to.deep.include({ status: 'ok' });
    const started = performance.now();
    expect(await web.call('whoami', {}, token)).to.deep.include({ status: 'ok' });
    expect(performance.now() - started).to.be.above(1000);
  });

  it('cuts off a WebSocket peer that leaves too much unread, and keeps its messages queued', async () => {
    fixture = await WebFixture.start({ maxBufferedBytes: 256 * 1024 });
    await fixture.user('alice');
    await fixture.user('bob');
    const { token } = await fixture.app.accounts.login('alice', 'pw-alice-123', '127.0.0.1');
    const alice = await fixture.app.accounts.authenticate(token);
    await fixture.app.friends.add(alice, 'bob');
    const bob = await fixture.wsPeer();
    await bob.login('bob');
    bob.ws.pause();
    const text = '😀'.repeat(MESSAGE_MAX_LENGTH);
    for (let i = 0; i < 600; i++) await fixture.app.messaging.sendPrivate(alice, 'bob', text);
    await eventually(async () => !(await fixture.app.friends.list(alice)).items[0]!.online);
    await eventually(async () => fixture.web.stats().connections === 0);
    expect(await fixture.app.delivery.waiting()).to.equal(601); // the friend notice and the 600
  });

  it('on close, tells an attached WebSocket client the server is shutting down, then closes it', async () => {
    fixture = await WebFixture.start();
    await fixture.user('erin');
    const erin = await fixture.wsPeer();
    await erin.login('erin');
    const closing = fixture.web.close();
    const { envelopes, code } = await erin.untilClosed();
    await closing;
    expect(envelopes.at(-1)).to.deep.include({ event: 'kicked' }).and.to.have.nested.property('data.reason', 'SERVER_SHUTDOWN');
    expect(code).to.equal(1000);
  });

  it('logs "web listening", and a WebSocket connection\'s open and close lines as TCP does', async () => {
    const lines: Envelope[] = [];
    const sink = new Writable({ write: (chunk: Buffer, _encoding, done) => (lines.push(JSON.parse(chunk.toString()) as Envelope), done()) });
    fixture = await WebFixture.start({}, { logger: pino(sink) });
    expect(lines.find((line) => line.msg === 'web listening')).to.deep.include({ host: '127.0.0.1', port: fixture.webPort, tls: false });
    const peer = await fixture.wsPeer();
    await peer.call('ping');
    peer.close();
    await eventually(async () => lines.some((line) => line.event === 'connection_closed'));
    expect(lines.find((line) => line.event === 'connection_opened')).to.deep.include({ peer: '127.0.0.1' });
    expect(lines.find((line) => line.event === 'connection_closed')).to.deep.include({ peer: '127.0.0.1', reason: 'PEER_CLOSED' });
  });

  it('serves wss:// with the TCP listener\'s certificate', async () => {
    const tmp = temporaryDirectory();
    try {
      const certificates = makeCertificates(tmp.path);
      fixture = await WebFixture.start({}, { tls: { cert: readFileSync(certificates.cert), key: readFileSync(certificates.key) } });
      const peer = await WsPeer.open(`wss://127.0.0.1:${fixture.webPort}/ws`, { ca: readFileSync(certificates.ca) });
      expect(await peer.call('ping')).to.deep.include({ status: 'ok' });
      peer.close();
    } finally {
      tmp.remove();
    }
  });
});
