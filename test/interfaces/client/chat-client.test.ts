import { expect } from 'chai';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { ChatClient, type ServerEvent } from '../../../interfaces/client/chat-client.js';
import { ChatError } from '../../../interfaces/client/chat-error.js';
import { encodeFrame, FrameDecoder } from '../../../interfaces/wire/index.js';
import { chatctl } from '../../support/processes.js';
import { eventually, expectOk, World } from '../../support/world.js';

type AckAnswer = { data: Record<string, unknown> } | { fail: { code: string; message: string; data: Record<string, unknown> } };

/** A server that answers every `ack` as `answer` says, and remembers the ids of each. */
async function ackServer(answer: (ids: number[]) => AckAnswer): Promise<{ server: Server; port: number; requests: number[][] }> {
  const requests: number[][] = [];
  const server = createServer((socket) => {
    const decoder = new FrameDecoder();
    socket.on('data', (chunk) => {
      for (const frame of decoder.push(chunk)) {
        const { id, args } = (frame as { payload: { id: number; args: { ids: number[] } } }).payload;
        requests.push(args.ids);
        const reply = answer(args.ids);
        const response =
          'data' in reply
            ? { type: 'response', id, status: 'ok', data: reply.data }
            : { type: 'response', id, status: 'fail', ...reply.fail };
        socket.write(encodeFrame(response));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port, requests };
}

describe('ChatClient.ack', () => {
  let server: Server | undefined;
  let client: ChatClient | undefined;

  afterEach(async () => {
    await client?.close();
    await new Promise((resolve) => server?.close(resolve));
  });

  async function connectTo(answer: (ids: number[]) => AckAnswer) {
    const fake = await ackServer(answer);
    server = fake.server;
    client = await ChatClient.connect({ port: fake.port, token: 't' });
    return { client, requests: fake.requests };
  }

  it('returns what the server removed and what was no longer waiting', async () => {
    const { client } = await connectTo((ids) => ({ data: { acknowledged: ids.filter((id) => id < 10), unknown: ids.filter((id) => id >= 10) } }));
    expect(await client.ack([1, 2, 10])).to.deep.equal({ acknowledged: [1, 2], unknown: [10] });
    expect(await client.ack([])).to.deep.equal({ acknowledged: [], unknown: [] });
  });

  it('splits a long list into requests of at most 1000 ids', async () => {
    const { client, requests } = await connectTo((ids) => ({ data: { acknowledged: ids, unknown: [] } }));
    const ids = Array.from({ length: 2500 }, (_, i) => i + 1);
    expect(await client.ack(ids)).to.deep.equal({ acknowledged: ids, unknown: [] });
    expect(requests.map((r) => r.length)).to.deep.equal([1000, 1000, 500]);
  });

  it('accepts an older server that answers only `acknowledged`', async () => {
    const { client } = await connectTo((ids) => ({ data: { acknowledged: ids.filter((id) => id !== 3) } }));
    expect(await client.ack([1, 2, 3])).to.deep.equal({ acknowledged: [1, 2], unknown: [3] });
  });

  it('acknowledges the rest when an older server refuses a batch for its unknown ids', async () => {
    const removed = new Set([1]);
    const { client, requests } = await connectTo((ids) => {
      const unknown = ids.filter((id) => removed.has(id) || id > 100);
      if (unknown.length > 0) return { fail: { code: 'UNKNOWN_MESSAGE', message: 'not waiting for you', data: { ids: unknown } } };
      for (const id of ids) removed.add(id);
      return { data: { acknowledged: ids } };
    });
    expect(await client.ack([1, 2, 3, 101])).to.deep.equal({ acknowledged: [2, 3], unknown: [1, 101] });
    expect(requests).to.deep.equal([
      [1, 2, 3, 101],
      [2, 3],
    ]);
  });

  it('still fails on any other refusal', async () => {
    const { client } = await connectTo(() => ({ fail: { code: 'SESSION_EXPIRED', message: 'log in again', data: {} } }));
    const error = await client.ack([1]).catch((e: unknown) => e);
    expect(error).to.be.instanceOf(ChatError).and.include({ status: 'fail', code: 'SESSION_EXPIRED' });
  });
});

interface FakeServer {
  readonly server: Server;
  readonly port: number;
  /** Every request read, in order. */
  readonly requests: Record<string, unknown>[];
  /** The server side of each connection, newest last. */
  readonly sockets: Socket[];
  /** Resolves once the client has ended or cut its connection. */
  readonly clientGone: Promise<void>;
}

/** A raw TCP server that hands each request to `answer`, which may write frames or nothing at all, as a frozen server. */
async function fakeServer(answer: (request: Record<string, unknown>, socket: Socket) => void): Promise<FakeServer> {
  const requests: Record<string, unknown>[] = [];
  const sockets: Socket[] = [];
  let gone: () => void;
  const clientGone = new Promise<void>((resolve) => (gone = resolve));
  // Half-open allowed: like a frozen server, this one never answers a FIN with its own.
  const server = createServer({ allowHalfOpen: true }, (socket) => {
    sockets.push(socket);
    socket.on('end', () => gone());
    socket.on('close', () => gone());
    socket.on('error', () => undefined);
    const decoder = new FrameDecoder();
    socket.on('data', (chunk) => {
      for (const frame of decoder.push(chunk)) {
        const request = (frame as { payload: Record<string, unknown> }).payload;
        requests.push(request);
        answer(request, socket);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port, requests, sockets, clientGone };
}

describe('ChatClient against an odd or frozen server', () => {
  let fake: FakeServer | undefined;
  let client: ChatClient | undefined;

  afterEach(async () => {
    await client?.close();
    for (const socket of fake?.sockets ?? []) socket.destroy();
    await new Promise((resolve) => fake?.server.close(resolve));
  });

  it('ignores unknown fields in answers and events of a type it does not know', async () => {
    fake = await fakeServer((request, socket) => {
      socket.write(encodeFrame({ type: 'event', event: 'weather', data: { sunny: true } }));
      socket.write(encodeFrame({ type: 'event', event: 'message', id: 5, data: { kind: 'private', from: 'bob', fromAdmin: false, text: 'hi', sentAt: '2026-11-25T12:00:00.000Z' }, priority: 'high' }));
      socket.write(encodeFrame({ type: 'response', id: request.id, status: 'ok', data: { user: { username: 'alice' } }, servedBy: 'node-2' }));
    });
    client = await ChatClient.connect({ port: fake.port, token: 't' });
    const events: ServerEvent[] = [];
    client.on('event', (event) => events.push(event));
    expect(await client.request('whoami')).to.deep.equal({ user: { username: 'alice' } });
    expect(events.map((e) => e.type)).to.deep.equal(['message']);
  });

  it('answers the server\'s ping with a ping request, without a token, and shows no event', async () => {
    fake = await fakeServer((request, socket) => {
      if (request.op === 'attach') socket.write(encodeFrame({ type: 'event', event: 'ping', data: {} }));
      socket.write(encodeFrame({ type: 'response', id: request.id, status: 'ok', data: {} }));
    });
    client = await ChatClient.connect({ port: fake.port, token: 'secret' });
    const events: ServerEvent[] = [];
    client.on('event', (event) => events.push(event));
    await client.request('attach');
    await eventually(async () => fake!.requests.length === 2);
    expect(fake.requests[1]).to.deep.include({ type: 'request', op: 'ping', args: {} });
    expect(fake.requests[1]).to.not.have.property('token');
    expect(events).to.deep.equal([]);
  });

  it('gives up on a request the server never answers, cutting the connection without waiting for the server', async () => {
    fake = await fakeServer(() => undefined);
    client = await ChatClient.connect({ port: fake.port, requestTimeoutMs: 300 });
    const started = Date.now();
    const error = await client.request('whoami').catch((e: unknown) => e);
    expect(error).to.be.instanceOf(ChatError).and.include({ status: 'connection', code: 'TIMEOUT' });
    expect((error as Error).message).to.equal('the server did not answer "whoami" within 0.3 s; gave up');
    expect(Date.now() - started).to.be.below(2000);
    await fake.clientGone;
    expect(await client.request('whoami').catch((e: unknown) => (e as Error).message)).to.contain('did not answer');
  });

  it('pings a server that stays silent, keeps the connection while it answers, and ends it once it does not', async () => {
    let answering = true;
    fake = await fakeServer((request, socket) => {
      if (answering) socket.write(encodeFrame({ type: 'response', id: request.id, status: 'error', code: 'UNKNOWN_OPERATION', message: 'unknown operation "ping"' }));
    });
    client = await ChatClient.connect({ port: fake.port, requestTimeoutMs: 200 });
    const closed = new Promise<void>((resolve) => client!.once('close', resolve));
    await eventually(async () => fake!.requests.length >= 2);
    expect(fake.requests.every((r) => r.op === 'ping')).to.equal(true);
    expect(client.closeReason).to.equal(undefined);
    answering = false;
    await closed;
    expect(client.closeReason).to.include({ code: 'TIMEOUT' });
  });

  it('closes within its grace against a server that never closes its side', async () => {
    fake = await fakeServer(() => undefined);
    client = await ChatClient.connect({ port: fake.port });
    const started = Date.now();
    await client.close();
    expect(Date.now() - started).to.be.below(3000);
    await fake.clientGone;
  });

  it('gives up connecting when the TLS handshake gets no answer', async () => {
    fake = await fakeServer(() => undefined);
    const started = Date.now();
    const error = await ChatClient.connect({ port: fake.port, tls: true, connectTimeoutMs: 300 }).catch((e: unknown) => e);
    expect(error).to.be.instanceOf(ChatError).and.include({ status: 'connection', code: 'TIMEOUT' });
    expect((error as Error).message).to.equal(`no answer from 127.0.0.1:${fake.port} in 0.3 s`);
    expect(Date.now() - started).to.be.below(2000);
    await fake.clientGone;
  });
});

describe('ChatClient against a real server', function () {
  this.timeout(60_000);
  let world: World;
  const clients: ChatClient[] = [];

  before(async () => {
    world = await World.start();
  });

  after(() => world.stop());

  afterEach(async () => {
    for (const client of clients.splice(0)) await client.close();
  });

  async function connect(): Promise<ChatClient> {
    const client = await ChatClient.connect({ port: world.server.port });
    clients.push(client);
    return client;
  }

  /** A new user, registered and logged in on its own connection. */
  async function user(name: string): Promise<ChatClient> {
    const client = await connect();
    await client.register(name, `pw-${name}-123`);
    await client.login(name, `pw-${name}-123`);
    return client;
  }

  it('keeps the token of a login made with request(), and forgets it on logout', async () => {
    const client = await connect();
    expect(await client.register('tess', 'pw-tess-123')).to.deep.include({ user: { id: 1, username: 'tess', isAdmin: false, banned: false } });
    const { token } = await client.request('login', { username: 'tess', password: 'pw-tess-123' });
    expect(client.token).to.equal(token);
    expect(await client.whoami()).to.include({ username: 'tess' });
    await client.logout();
    expect(client.token).to.equal(undefined);
    expect(await client.whoami().catch((e: unknown) => e)).to.be.instanceOf(ChatError).and.include({ status: 'fail', code: 'NOT_AUTHENTICATED' });
  });

  it('makes friends and groups, sends, and hears and acknowledges what arrives', async () => {
    const alice = await user('alice');
    const bob = await user('bob');
    const events = bob.events()[Symbol.asyncIterator]();
    expect(await alice.add('bob')).to.deep.equal({ username: 'bob', isAdmin: false, banned: false, online: true });
    expect(await bob.friends()).to.deep.equal({ friends: [{ username: 'alice', isAdmin: false, banned: false, online: true }], nextCursor: null });
    const receipt = await alice.send('bob', 'hi bob');
    expect(receipt).to.include({ to: 'bob' });
    expect(Date.parse(receipt.sentAt)).to.be.a('number').and.not.NaN;
    const received: ServerEvent[] = [];
    while (!received.some((e) => e.type === 'message' && e.message.kind === 'private')) received.push((await events.next()).value as ServerEvent);
    const message = received.at(-1)!;
    expect(message).to.deep.include({ type: 'message', id: receipt.id });
    expect(message.type === 'message' && message.message).to.include({ kind: 'private', from: 'alice', text: 'hi bob' });
    expect(await bob.ack(received.flatMap((e) => (e.type === 'message' ? [e.id] : [])))).to.include.keys('acknowledged', 'unknown');
    expect(await world.queuedFor('bob')).to.deep.equal([]);

    const group = await alice.createGroup('team');
    expect(group).to.include({ name: 'team', creator: 'alice', total: 1 });
    expect(await alice.invite({ name: 'team' }, 'bob')).to.include({ total: 2 });
    const { groups } = await bob.groups();
    expect(groups.map((g) => g.name)).to.deep.equal(['team']);
    expect(await bob.sendGroup(groups[0]!.id, 'hello team')).to.include({ recipients: 1 }).and.have.nested.property('group.name', 'team');
    expect(await alice.kick({ name: 'team' }, 'bob')).to.include({ total: 1 });
    expect(await alice.deleteGroup({ name: 'team' })).to.include({ name: 'team' });
  });

  it('runs the admin calls for an admin', async () => {
    await user('carol');
    const boss = await connect();
    await boss.register('boss', 'pw-boss-123');
    // The admin right is read at login, as an operator promotes a user before they log in.
    await expectOk(chatctl(['promote', 'boss', '--db', world.server.db], world.as('boss')));
    expect((await boss.login('boss', 'pw-boss-123')).user).to.include({ isAdmin: true });
    const { users } = await boss.allUsers();
    expect(users.map((u) => u.username)).to.include.members(['boss', 'carol']);
    expect(await boss.banUser('carol')).to.include({ username: 'carol', banned: true });
    expect(await boss.unbanUser('carol')).to.include({ username: 'carol', banned: false });
    expect(await boss.adminSend('carol', 'from the admin')).to.include({ to: 'carol' });
    const carol = await connect();
    await carol.login('carol', 'pw-carol-123');
    await carol.createGroup('club');
    expect((await boss.allGroups()).groups.map((g) => g.name)).to.include('club');
    const sent = await boss.adminSendGroup({ name: 'club', creator: 'carol' }, 'to the club');
    expect([sent.group.name, sent.group.creator, sent.recipients]).to.deep.equal(['club', 'carol', 1]);
    expect(await boss.banGroup({ name: 'club', creator: 'carol' })).to.have.nested.property('group.banned', true);
    expect(await carol.sendGroup((await carol.groups()).groups[0]!.id, 'hello?').catch((e: unknown) => e)).to.be.instanceOf(ChatError).and.include({ status: 'fail' });
    expect(await boss.unbanGroup({ name: 'club', creator: 'carol' })).to.have.nested.property('group.banned', false);
  });

  it('refuses with one error class: the server\'s code, or the connection\'s', async () => {
    const dave = await user('dave');
    const refused = await dave.send('nobody-here', 'hello').catch((e: unknown) => e);
    expect(refused).to.be.instanceOf(ChatError).and.include({ name: 'ChatError', status: 'fail', code: 'UNKNOWN_USER' });
    expect(await dave.allUsers().catch((e: unknown) => e)).to.be.instanceOf(ChatError).and.include({ status: 'fail', code: 'NOT_ADMIN' });
    const unreachable = await ChatClient.connect({ port: 1 }).catch((e: unknown) => e);
    expect(unreachable).to.be.instanceOf(ChatError).and.include({ status: 'connection', code: 'UNREACHABLE' });
    await dave.close();
    expect(await dave.whoami().catch((e: unknown) => e)).to.be.instanceOf(ChatError).and.include({ status: 'connection', code: 'CLOSED' });
  });
});
