import { expect } from 'chai';
import { pino } from 'pino';
import type { ChatApp } from '../../../application/chat-app.js';
import { createChatApp } from '../../../container.js';
import { TcpGateway } from '../../../interfaces/tcp/tcp-gateway.js';
import { encodeFrame, FRAME_HEADER_BYTES, MAX_ACK_IDS, MIN_MAX_PAYLOAD_BYTES } from '../../../interfaces/wire/index.js';
import { RawPeer } from '../../support/raw-peer.js';

const MAX_PAYLOAD = MIN_MAX_PAYLOAD_BYTES;

describe('TcpGateway, on a real loopback socket', () => {
  let app: ChatApp;
  let gateway: TcpGateway;
  let port: number;
  const peers: RawPeer[] = [];
  const peer = async () => {
    const opened = await RawPeer.open(port);
    peers.push(opened);
    return opened;
  };

  beforeEach(async () => {
    app = await createChatApp({ storage: 'memory', scryptCost: { N: 2 ** 10, r: 8, p: 1 } });
    gateway = new TcpGateway(app, {
      host: '127.0.0.1',
      port: 0,
      logger: pino({ level: 'silent' }),
      limits: { maxPayloadBytes: MAX_PAYLOAD },
      shutdownGraceMs: 1000,
    });
    port = (await gateway.listen()).port;
  });

  afterEach(async () => {
    for (const p of peers.splice(0)) p.end();
    await gateway.close();
    await app.close();
  });

  it('answers register and login with ok and data', async () => {
    const client = await peer();
    client.request(1, 'register', { username: 'alice', password: 'correct horse' });
    expect(await client.next()).to.deep.include({ type: 'response', id: 1, status: 'ok' });
    client.request('two', 'login', { username: 'alice', password: 'correct horse' });
    const login = await client.next();
    expect(login).to.deep.include({ id: 'two', status: 'ok' });
    expect((login.data as { token: string }).token).to.be.a('string').with.length.above(30);
  });

  it('refuses by rule with fail and a stable code', async () => {
    const client = await peer();
    client.request(1, 'login', { username: 'nobody', password: 'whatever password' });
    expect(await client.next()).to.deep.include({ status: 'fail', code: 'UNKNOWN_USER' });
    client.request(2, 'register', { username: 'x'.repeat(100), password: 'correct horse' });
    expect(await client.next()).to.deep.include({ status: 'fail', code: 'INVALID_USERNAME' });
    client.request(3, 'whoami');
    expect(await client.next()).to.deep.include({ status: 'fail', code: 'NOT_AUTHENTICATED' });
    client.request(4, 'whoami', {}, 'stale-or-forged-token');
    expect(await client.next()).to.deep.include({ status: 'fail', code: 'SESSION_EXPIRED' });
  });

  it('answers malformed requests with error codes and keeps the connection usable', async () => {
    const client = await peer();
    client.request(1, 'teleport');
    expect(await client.next()).to.deep.include({ id: 1, status: 'error', code: 'UNKNOWN_OPERATION' });
    client.request(2, 'register', { username: 42, password: 'correct horse' });
    const badArgs = await client.next();
    expect(badArgs).to.deep.include({ id: 2, status: 'error', code: 'BAD_ARGUMENTS' });
    expect(badArgs.message).to.contain('username');
    client.request(3, 'register', { username: 'alice', password: 'correct horse', extra: true });
    expect(await client.next()).to.deep.include({ id: 3, code: 'BAD_ARGUMENTS' });
    client.write(encodeFrame({ type: 'request', id: 4 }));
    expect(await client.next()).to.deep.include({ id: 4, status: 'error', code: 'BAD_ENVELOPE' });
    const corrupt = encodeFrame({ type: 'request', id: 5, op: 'whoami', args: {} });
    corrupt.writeUInt8(corrupt.readUInt8(corrupt.length - 2) ^ 0xff, corrupt.length - 2);
    client.write(corrupt);
    expect(await client.next()).to.deep.include({ status: 'error', code: 'BAD_CHECKSUM' });
    client.request(6, 'register', { username: 'alice', password: 'correct horse' });
    expect(await client.next()).to.deep.include({ id: 6, status: 'ok' });
  });

  it(`takes 1 to ${MAX_ACK_IDS} delivery ids in an ack, and names what is wrong with any other list`, async () => {
    const client = await peer();
    client.request(1, 'register', { username: 'alice', password: 'correct horse' });
    await client.next();
    client.request(2, 'login', { username: 'alice', password: 'correct horse' });
    const { token } = (await client.next()).data as { token: string };
    const all = Array.from({ length: MAX_ACK_IDS }, (_, i) => i + 1);
    client.request(3, 'ack', { ids: all }, token);
    expect(await client.next()).to.deep.include({ id: 3, status: 'ok', data: { acknowledged: [], unknown: all } });
    const refusals: [unknown, string][] = [
      [[], 'Too small: expected array to have >=1 items'],
      [[...all, MAX_ACK_IDS + 1], `Too big: expected array to have <=${MAX_ACK_IDS} items`],
      [[1, 0], 'a delivery id is a whole number from 1\n  → at ids[1]'],
      [[1, 2, 2.5], 'a delivery id is a whole number from 1\n  → at ids[2]'],
      [[-1], 'a delivery id is a whole number from 1\n  → at ids[0]'],
      [[2 ** 53], 'a delivery id is a whole number from 1\n  → at ids[0]'],
      [[1, '2'], 'expected number, received string\n  → at ids[1]'],
      ['1', 'expected array, received string\n  → at ids'],
    ];
    for (const [n, [ids, message]] of refusals.entries()) {
      client.request(10 + n, 'ack', { ids }, token);
      const answer = await client.next();
      expect(answer, JSON.stringify(ids).slice(0, 40)).to.deep.include({ id: 10 + n, status: 'error', code: 'BAD_ARGUMENTS' });
      expect(answer.message, JSON.stringify(ids).slice(0, 40)).to.contain(message);
    }
  });

  it('answers bad magic with an error frame and closes, while others are still served', async () => {
    const bystander = await peer();
    const vandal = await peer();
    vandal.write(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
    expect(await vandal.next()).to.deep.include({ id: null, status: 'error', code: 'BAD_MAGIC' });
    await vandal.closedByServer();
    bystander.request(1, 'register', { username: 'alice', password: 'correct horse' });
    expect(await bystander.next()).to.deep.include({ status: 'ok' });
  });

  it(`refuses a frame over the ${MAX_PAYLOAD}-byte limit as soon as its header arrives`, async () => {
    const client = await peer();
    const header = Buffer.alloc(FRAME_HEADER_BYTES);
    header.write('CHAT', 0, 'ascii');
    header.writeUInt32BE(MAX_PAYLOAD + 1, 8);
    client.write(header);
    expect(await client.next()).to.deep.include({ status: 'error', code: 'FRAME_TOO_LARGE' });
    await client.closedByServer();
    expect((await app.accounts.register('bob', 'battery staple')).username).to.equal('bob');
  });

  it('leaves the database unchanged by refused and malformed requests', async () => {
    const client = await peer();
    client.request(1, 'register', { username: 'alice', password: 'short' });
    client.request(2, 'register', { username: 'al', password: 'correct horse' });
    client.request(3, 'register', { username: ['alice'], password: 'correct horse' });
    for (let i = 0; i < 3; i++) expect((await client.next()).status).to.not.equal('ok');
    expect(await app.accounts.login('alice', 'correct horse', '::1').catch((e: Error) => e.message)).to.equal('there is no user called alice');
  });

  it('answers pipelined requests in the order they were sent', async () => {
    const client = await peer();
    for (let id = 1; id <= 20; id++) client.request(id, 'register', { username: `user${id}`, password: 'correct horse' });
    const ids: unknown[] = [];
    for (let i = 0; i < 20; i++) ids.push((await client.next()).id);
    expect(ids).to.deep.equal(Array.from({ length: 20 }, (_, i) => i + 1));
  });

  it('tells an attached client the server is shutting down', async () => {
    const client = await peer();
    client.request(1, 'register', { username: 'alice', password: 'correct horse' });
    client.request(2, 'login', { username: 'alice', password: 'correct horse' });
    await client.next();
    await client.next();
    const closing = gateway.close();
    expect(await client.next()).to.deep.include({ type: 'event', event: 'kicked' });
    await closing;
    await client.closedByServer();
    gateway = new TcpGateway(app, { host: '127.0.0.1', port: 0, logger: pino({ level: 'silent' }) });
    await gateway.listen();
  });
});
