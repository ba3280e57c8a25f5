import { expect } from 'chai';
import { request } from 'node:http';
import type { Socket } from 'node:net';
import { NO_OBSERVER, type SessionObserver } from '../../../interfaces/session/session-observer.js';
import { MIN_MAX_PAYLOAD_BYTES } from '../../../interfaces/wire/index.js';
import { WebFixture, type WsPeer } from './web-fixture.js';

/** An upgrade request to /ws from a page of `origin`, answered without an upgrade: its status and body. */
function upgradeFrom(port: number, origin: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const headers = { Connection: 'Upgrade', Upgrade: 'websocket', Origin: origin, 'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==', 'Sec-WebSocket-Version': '13' };
    const asked = request({ host: '127.0.0.1', port, path: '/ws', headers }, (response) => {
      let body = '';
      response.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode!, body }));
    });
    asked.on('upgrade', () => reject(new Error('upgraded')));
    asked.on('error', reject);
    asked.end();
  });
}

/** The TCP socket under a ws client, to write what a ws client would not. */
const socketOf = (peer: WsPeer) => (peer.ws as unknown as { _socket: Socket })._socket;

describe('WebGateway, given bad input', function () {
  this.timeout(30_000);
  let fixture: WebFixture;
  afterEach(() => fixture.stop());

  /** A peer logged in as alice, to show that bad input on another connection does not touch it. */
  const bystander = async () => {
    await fixture.user('alice');
    const alice = await fixture.wsPeer();
    const token = await alice.login('alice');
    return { stillServed: async () => expect(await alice.call('whoami', {}, token)).to.deep.include({ status: 'ok' }) };
  };

  it('answers a text message that is not JSON as TCP answers a frame that is not, and goes on', async () => {
    fixture = await WebFixture.start();
    const peer = await fixture.wsPeer();
    peer.ws.send('this is not json {');
    expect(await peer.next()).to.deep.equal({ type: 'response', id: null, status: 'error', code: 'BAD_JSON', message: 'the payload is not UTF-8 JSON' });
    peer.send({ type: 'request', id: 7 });
    expect(await peer.next()).to.deep.include({ id: 7, status: 'error', code: 'BAD_ENVELOPE' });
    expect(await peer.call('ping')).to.deep.include({ status: 'ok' });
  });

  it('closes with 1009 and a reason on a message over the payload limit, touching no other connection', async () => {
    fixture = await WebFixture.start({ maxPayloadBytes: MIN_MAX_PAYLOAD_BYTES });
    const { stillServed } = await bystander();
    const peer = await fixture.wsPeer();
    peer.send({ type: 'request', id: 1, op: 'ping', args: {}, padding: 'x'.repeat(MIN_MAX_PAYLOAD_BYTES) });
    const { envelopes, code, reason } = await peer.untilClosed();
    expect(envelopes).to.deep.equal([]);
    expect([code, reason]).to.deep.equal([1009, 'the message is over the server\'s payload limit']);
    await stillServed();
  });

  it('answers a message at the payload limit', async () => {
    fixture = await WebFixture.start({ maxPayloadBytes: MIN_MAX_PAYLOAD_BYTES });
    const peer = await fixture.wsPeer();
    const envelope = { type: 'request', id: 1, op: 'ping', args: {}, padding: '' };
    envelope.padding = 'x'.repeat(MIN_MAX_PAYLOAD_BYTES - JSON.stringify(envelope).length);
    peer.send(envelope);
    // The envelope's extra key is refused, which shows the message was read whole.
    expect(await peer.next()).to.deep.include({ id: 1, code: 'BAD_ENVELOPE' });
  });

  it('closes with 1003 on a binary message, after saying so in an error response', async () => {
    fixture = await WebFixture.start();
    const { stillServed } = await bystander();
    const peer = await fixture.wsPeer();
    peer.ws.send(Buffer.from(JSON.stringify({ type: 'request', id: 1, op: 'ping', args: {} })));
    const { envelopes, code, reason } = await peer.untilClosed();
    expect(envelopes).to.deep.equal([{ type: 'response', id: null, status: 'error', code: 'BINARY_MESSAGE', message: 'binary frames are not part of the protocol' }]);
    expect([code, reason]).to.deep.equal([1003, 'binary frames are not part of the protocol']);
    await stillServed();
  });

  it('closes with 1007 and a reason on a text message that is not UTF-8', async () => {
    fixture = await WebFixture.start();
    const { stillServed } = await bystander();
    const peer = await fixture.wsPeer();
    // A masked (with a zero key) text frame of two bytes that are not UTF-8.
    socketOf(peer).write(Buffer.from([0x81, 0x80 | 2, 0, 0, 0, 0, 0xff, 0xfe]));
    const { envelopes, code, reason } = await peer.untilClosed();
    expect(envelopes).to.deep.equal([]);
    expect([code, reason]).to.deep.equal([1007, 'a text message must be UTF-8']);
    await stillServed();
  });

  it('answers GET /ws without an upgrade with 426 Upgrade Required', async () => {
    fixture = await WebFixture.start();
    const response = await fetch(`http://127.0.0.1:${fixture.webPort}/ws`);
    expect(response.status).to.equal(426);
    expect(response.headers.get('upgrade')).to.equal('websocket');
    expect(await response.text()).to.equal('this path serves WebSocket connections only: connect with a WebSocket client\n');
  });

  it('refuses an upgrade on another path with 404', async () => {
    fixture = await WebFixture.start();
    const refused = await new Promise<string>((resolve) => {
      const asked = request({ host: '127.0.0.1', port: fixture.webPort, path: '/chat', headers: { Connection: 'Upgrade', Upgrade: 'websocket' } }, (response) => resolve(String(response.statusCode)));
      asked.end();
    });
    expect(refused).to.equal('404');
  });

  describe('the Origin check', () => {
    const throttled: string[] = [];
    const observer: SessionObserver = { ...NO_OBSERVER, throttled: (limit) => throttled.push(limit) };
    beforeEach(() => (throttled.length = 0));

    it('by default lets in pages of the listener\'s own origin and clients that send none, and refuses others with 403, logged and counted', async () => {
      fixture = await WebFixture.start({}, { observer });
      const { stillServed } = await bystander();
      const own = await fixture.wsPeer({ origin: `http://127.0.0.1:${fixture.webPort}` });
      expect(await own.call('ping')).to.deep.include({ status: 'ok' });
      const refused = await upgradeFrom(fixture.webPort, 'https://evil.example');
      expect(refused).to.deep.equal({ status: 403, body: 'the origin https://evil.example may not connect here (serve --web-origins)\n' });
      expect(await upgradeFrom(fixture.webPort, 'null')).to.have.property('status', 403);
      expect(await upgradeFrom(fixture.webPort, `http://127.0.0.1:${fixture.webPort + 1}`)).to.have.property('status', 403);
      expect(throttled).to.deep.equal(['web-origin', 'web-origin', 'web-origin']);
      await stillServed();
    });

    it('lets in only the listed origins when given a list', async () => {
      fixture = await WebFixture.start({}, { origins: ['https://chat.example.org', 'http://localhost:5173'] });
      for (const origin of ['http://localhost:5173', 'https://chat.example.org']) {
        const listed = await fixture.wsPeer({ origin });
        expect(await listed.call('ping')).to.deep.include({ status: 'ok' });
      }
      expect(await upgradeFrom(fixture.webPort, `http://127.0.0.1:${fixture.webPort}`)).to.have.property('status', 403);
    });

    it('lets in any origin given *', async () => {
      fixture = await WebFixture.start({}, { origins: ['*'] });
      const any = await fixture.wsPeer({ origin: 'https://anywhere.example' });
      expect(await any.call('ping')).to.deep.include({ status: 'ok' });
    });
  });

  describe('the deadlines', () => {
    it('closes a connection that does not log in in time, saying why', async () => {
      fixture = await WebFixture.start({ loginTimeoutMs: 200 });
      const peer = await fixture.wsPeer();
      const { envelopes, code } = await peer.untilClosed();
      expect(envelopes).to.have.length(1);
      expect(envelopes[0]).to.deep.include({ status: 'error', code: 'LOGIN_TIMEOUT' });
      expect(code).to.equal(1000);
    });

    it('closes a connection whose message, once begun, does not arrive whole in time', async () => {
      fixture = await WebFixture.start({ frameTimeoutMs: 200 });
      const { stillServed } = await bystander();
      const peer = await fixture.wsPeer();
      // A masked text frame announcing 10 bytes, of which 2 come.
      socketOf(peer).write(Buffer.from([0x81, 0x80 | 10, 1, 2, 3, 4, 0x7a, 0x7b]));
      const { envelopes } = await peer.untilClosed();
      expect(envelopes).to.have.length(1);
      expect(envelopes[0]).to.deep.include({ status: 'error', code: 'FRAME_TIMEOUT', message: 'a message was begun but not completed within 0.2 s' });
      await stillServed();
    });
  });
});
