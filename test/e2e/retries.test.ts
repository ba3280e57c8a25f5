import { createServer, connect, type Server, type Socket } from 'node:net';
import { expect } from 'chai';
import { ChatError } from '../../interfaces/client/chat-error.js';
import { ServerProcess } from '../support/processes.js';
import { expectOk, World } from '../support/world.js';

/**
 * A TCP proxy to the server that, on the first connection through it, drops the client the
 * moment the server's first answer comes back: the request ran, its answer is lost.
 */
async function losingFirstAnswer(upstreamPort: number): Promise<{ server: Server; port: number; connections: () => number }> {
  let connections = 0;
  const server = createServer((client: Socket) => {
    const first = ++connections === 1;
    const upstream = connect(upstreamPort, '127.0.0.1');
    client.pipe(upstream);
    upstream.on('data', (chunk: Buffer) => (first ? client.destroy() : client.write(chunk)));
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as { port: number }).port, connections: () => connections };
}

describe('safe retries and the offline quota, end to end with real processes', function () {
  this.timeout(90_000);
  let world: World;

  before(async () => {
    world = await World.start();
    await world.users('alice', 'bob', 'carol');
    await expectOk(world.chatctl('alice', 'add', 'bob'));
    await expectOk(world.chatctl('alice', 'add', 'carol'));
    await expectOk(world.chatctl('alice', 'newgroup', 'team'));
    await expectOk(world.chatctl('alice', 'addgroupuser', 'team', 'bob'));
    await expectOk(world.chatctl('alice', 'addgroupuser', 'team', 'carol'));
    await world.clearQueue();
  });
  after(() => world.stop());
  afterEach(() => world.clearQueue());

  it('stores a send once when chatctl loses the answer and retries it, answering the first id', async () => {
    const proxy = await losingFirstAnswer(world.server.port);
    try {
      const sent = await expectOk(world.chatctl('alice', 'send', 'bob', 'only once', '--json', '--server', `127.0.0.1:${proxy.port}`));
      expect(proxy.connections(), 'connected again for the retry').to.equal(2);
      const { message } = JSON.parse(sent.stdout) as { message: { id: number; to: string } };
      const stored = await world.query((db) => db('queued_deliveries').select('id', 'body'));
      expect(stored).to.deep.equal([{ id: message.id, body: 'only once' }]);
    } finally {
      proxy.server.close();
    }
  });

  it('answers a retry after a server restart with the first id and time, storing nothing new', async () => {
    const send = async (text: string) => {
      const client = await world.client('alice');
      try {
        return await client.request('send', { to: 'bob', text, clientMsgId: 'retry-me' });
      } finally {
        await client.close();
      }
    };
    const first = await send('before the restart');
    await world.restart('SIGKILL');
    const again = await send('before the restart');
    expect(again).to.deep.equal(first);
    expect(await world.queuedFor('bob')).to.deep.equal(['before the restart']);
  });

  it('refuses a send past the recipient\'s quota with QUEUE_FULL, and a group send names who was left out', async () => {
    await world.server.stop();
    world.server = await ServerProcess.start(world.server.db, ['--max-queued-per-user', '2']);
    await expectOk(world.chatctl('alice', 'login', 'alice', 'pw-alice-123'));
    await expectOk(world.chatctl('alice', 'groups'));
    await expectOk(world.chatctl('alice', 'send', 'bob', 'one'));
    await expectOk(world.chatctl('alice', 'send', 'bob', 'two'));
    const refused = await world.chatctl('alice', 'send', 'bob', 'three');
    expect([refused.code, refused.stderr]).to.deep.equal([1, 'chatctl: bob has 2 messages waiting, the most the server keeps: try again once they have read some']);
    const group = await world.chatctl('alice', 'sendgroup', '1', 'hello team');
    expect([group.code, group.stdout, group.stderr]).to.deep.equal([0, 'sent to team@alice (1 member)', 'warning: not stored for bob: their queue of unread messages is full (QUEUE_FULL)']);
    const client = await world.client('alice');
    try {
      const error = await client.request('send', { to: 'bob', text: 'three' }).then(() => undefined, (e: unknown) => e);
      expect(error).to.be.instanceOf(ChatError);
      expect(error).to.deep.include({ status: 'fail', code: 'QUEUE_FULL', data: { limit: 2, recipient: 'bob' } });
    } finally {
      await client.close();
    }
    expect(await world.queuedFor('bob')).to.deep.equal(['one', 'two']);
    expect(await world.queuedFor('carol')).to.deep.equal(['hello team']);
  });
});
