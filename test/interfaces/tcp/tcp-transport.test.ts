import { expect } from 'chai';
import { createServer, type Server, type Socket } from 'node:net';
import { pino } from 'pino';
import type { TransportHandler } from '../../../interfaces/session/transport.js';
import { TcpTransport } from '../../../interfaces/tcp/tcp-transport.js';
import { encodeFrame, event, WireError } from '../../../interfaces/wire/index.js';
import { RawPeer } from '../../support/raw-peer.js';

/** A handler that remembers what its transport told it. */
class RecordingHandler implements TransportHandler {
  readonly received: unknown[] = [];
  readonly refused: WireError[] = [];
  idles = 0;
  drains = 0;
  closes = 0;

  receive(payload: unknown): void {
    this.received.push(payload);
  }

  refuse(error: WireError): void {
    this.refused.push(error);
  }

  idle(): void {
    this.idles++;
  }

  drained(): void {
    this.drains++;
  }

  closed(): void {
    this.closes++;
  }
}

const turn = () => new Promise((resolve) => setImmediate(resolve));

describe('TcpTransport, on a real loopback socket', () => {
  let server: Server;
  let peer: RawPeer;
  let socket: Socket;
  let transport: TcpTransport;
  let handler: RecordingHandler;

  beforeEach(async () => {
    const accepted = new Promise<Socket>((resolve) => (server = createServer(resolve)));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    peer = await RawPeer.open((server.address() as { port: number }).port);
    socket = await accepted;
    transport = new TcpTransport(socket, { maxPayloadBytes: 64 * 1024, idleTimeoutMs: 60_000, frameTimeoutMs: 60_000 }, pino({ level: 'silent' }));
    handler = new RecordingHandler();
    transport.start(handler);
  });

  afterEach(async () => {
    peer.end();
    socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  });

  it('writes what is sent during one turn of the event loop with one socket write', async () => {
    let writes = 0;
    const counted = socket as unknown as { _write: (...args: unknown[]) => void; _writev: (...args: unknown[]) => void };
    for (const method of ['_write', '_writev'] as const) {
      const original = counted[method].bind(socket);
      counted[method] = (...args: unknown[]) => {
        writes++;
        original(...args);
      };
    }
    const frames = [1, 2, 3].map((n) => event('message', { text: `frame ${n}` }, n));
    for (const frame of frames) transport.send(frame);
    const sent = frames.reduce((total, frame) => total + encodeFrame(frame).length, 0);
    expect(transport.bufferedBytes, 'gathered bytes count as buffered').to.equal(sent);
    expect(writes).to.equal(0);
    for (let i = 0; i < 3; i++) expect(await peer.next()).to.deep.equal(frames[i]);
    expect(writes).to.equal(1);
    transport.send(event('message', { text: 'a later turn' }, 4));
    expect(await peer.next()).to.deep.include({ id: 4 });
    expect(writes).to.equal(2);
  });

  it('refuses an envelope over the frame limit, sending nothing', async () => {
    expect(() => transport.send(event('message', { text: 'x'.repeat(64 * 1024) }))).to.throw(WireError, /over the 65536-byte limit/);
    expect(transport.bufferedBytes).to.equal(0);
    transport.send(event('message', { text: 'small' }));
    expect(await peer.next()).to.deep.include({ data: { text: 'small' } });
  });

  it('passes on decoded payloads and bad frames, and stops after a fatal one', async () => {
    const corrupt = encodeFrame({ n: 2 });
    corrupt.writeUInt8(corrupt.readUInt8(corrupt.length - 2) ^ 0xff, corrupt.length - 2);
    peer.write(Buffer.concat([encodeFrame({ n: 1 }), corrupt, encodeFrame({ n: 3 }), Buffer.from('GET / HTTP/1.1\r\n'), encodeFrame({ n: 4 })]));
    while (handler.refused.length < 2) await turn();
    expect(handler.received).to.deep.equal([{ n: 1 }, { n: 3 }]);
    expect(handler.refused.map((error) => [error.code, error.fatal])).to.deep.equal([
      ['BAD_CHECKSUM', false],
      ['BAD_MAGIC', true],
    ]);
  });

  it('ends after what was sent has gone out, or at once, and says when it has closed', async () => {
    transport.send(event('kicked', { reason: 'LOGGED_OUT' }));
    transport.close(true);
    expect(transport.open).to.equal(false);
    transport.send(event('message', { text: 'too late' }));
    expect(await peer.next()).to.deep.include({ event: 'kicked' });
    await peer.closedByServer();
    while (handler.closes === 0) await turn();
    expect(handler.closes).to.equal(1);
  });
});
