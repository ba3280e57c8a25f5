import { expect } from 'chai';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ChatClient, createChatApp, MAX_UNREAD_PUSHES, TcpGateway, type ChatApp, type ChatAppOptions, type InboxMessage, type InboxSubscription, type Logger } from '../index.js';
import { temporaryDirectory } from './support/processes.js';
import { refusalCode } from './support/refusals.js';
import { eventually } from './support/world.js';

const cheap = { N: 2 ** 10, r: 8, p: 1 };

/** The texts of messages, in the order given. */
const texts = (messages: readonly InboxMessage[]) => messages.map((message) => message.text);

/** Reads `count` messages from a subscription. */
async function take(subscription: InboxSubscription, count: number): Promise<InboxMessage[]> {
  const taken: InboxMessage[] = [];
  while (taken.length < count) {
    const { value, done } = await subscription.next();
    if (done) expect.fail(`the subscription ended after ${taken.length} messages: ${subscription.ended?.reason}`);
    taken.push(value);
  }
  return taken;
}

describe('embedding parley in a Node service', () => {
  let tmp: ReturnType<typeof temporaryDirectory>;
  let app: ChatApp;

  beforeEach(async () => {
    tmp = temporaryDirectory();
    app = await createChatApp({ storage: `sqlite:${join(tmp.path, 'chat.sqlite')}`, scryptCost: cheap });
    for (const name of ['alice', 'bob', 'carol']) await app.accounts.register(name, `pw-${name}-123`);
  });

  afterEach(async () => {
    await app.close();
    tmp.remove();
  });

  it('refuses to start without a storage, and creates no file', async () => {
    for (const options of [undefined, {}, { storage: '' }]) {
      const error = await createChatApp(options as unknown as ChatAppOptions).then(
        () => expect.fail('createChatApp started without a storage'),
        (reason: unknown) => reason as Error,
      );
      expect(error).to.be.instanceOf(TypeError);
      expect(error.message).to.equal("createChatApp needs options.storage: 'sqlite:<path>', 'postgres://…' or 'memory'");
    }
    expect(existsSync('data/chat.sqlite')).to.equal(false);
  });

  it('acts for a user by name or id without a password, and their friend reads the message from the inbox', async () => {
    const alice = await app.as('alice');
    const bob = await app.as((await app.as('bob')).id);
    expect(bob.username).to.equal('bob');
    await alice.addFriend('bob');
    const sent = await alice.send('bob', 'hello from the host');
    expect(sent.to).to.equal('bob');

    const inbox = await bob.inbox();
    expect(inbox.nextCursor).to.equal(null);
    expect(inbox.items.map((m) => [m.kind, m.text])).to.deep.equal([
      ['notice', 'alice added you as a friend'],
      ['private', 'hello from the host'],
    ]);
    const message = inbox.items[1]!;
    expect(message.id).to.equal(sent.id);
    expect(message.kind === 'private' && message.from.username).to.equal('alice');

    // Reading removes nothing; acknowledging does, and is idempotent.
    expect((await bob.inbox()).items).to.have.length(2);
    expect(await bob.ack([message.id])).to.deep.equal({ acknowledged: [message.id], unknown: [] });
    expect(await bob.ack([message.id])).to.deep.equal({ acknowledged: [], unknown: [message.id] });
    expect(texts((await bob.inbox()).items)).to.deep.equal(['alice added you as a friend']);
  });

  it('pages the inbox oldest first', async () => {
    const alice = await app.as('alice');
    await alice.addFriend('bob');
    for (const n of [1, 2, 3]) await alice.send('bob', `message ${n}`);
    const bob = await app.as('bob');
    const first = await bob.inbox({ limit: 2 });
    const second = await bob.inbox({ limit: 2, cursor: first.nextCursor! });
    expect([...texts(first.items), ...texts(second.items)]).to.deep.equal(['alice added you as a friend', 'message 1', 'message 2', 'message 3']);
    expect(second.nextCursor).to.equal(null);
    expect(await refusalCode(bob.inbox({ limit: 0 }))).to.equal('INVALID_PAGE');
  });

  it('refuses unknown and banned users, and a handle whose user was banned since', async () => {
    expect(await refusalCode(app.as('nobody'))).to.equal('UNKNOWN_USER');
    expect(await refusalCode(app.as(9999))).to.equal('UNKNOWN_USER');
    expect(await refusalCode(app.as('Not A Name!'))).to.equal('INVALID_USERNAME');

    const bob = await app.as('bob');
    await app.accounts.promote('alice', true);
    await (await app.as('alice')).admin.banUser('bob');
    expect(await refusalCode(app.as('bob'))).to.equal('USER_BANNED');
    expect(await refusalCode(bob.friends())).to.equal('USER_BANNED');
    expect(await refusalCode(bob.subscribe())).to.equal('USER_BANNED');
  });

  it('gives admin calls only to a user who is an admin when calling', async () => {
    const alice = await app.as('alice');
    expect(await refusalCode(alice.admin.users())).to.equal('NOT_ADMIN');
    await app.accounts.promote('alice', true);
    const listing = await alice.admin.users({ limit: 2 });
    expect(listing.items.map((user) => [user.username, user.isAdmin])).to.deep.equal([
      ['alice', true],
      ['bob', false],
    ]);
    const sent = await alice.admin.send('carol', 'maintenance tonight');
    const [message] = (await (await app.as('carol')).inbox()).items;
    expect(message).to.include({ id: sent.id, kind: 'private', fromAdmin: true, text: 'maintenance tonight' });
  });

  it('manages groups and sends to them', async () => {
    const alice = await app.as('alice');
    const team = await alice.createGroup('team');
    await alice.addGroupMember({ name: 'team' }, 'bob');
    await alice.addGroupMember({ name: 'team' }, 'carol');
    const sent = await alice.sendGroup(team.id, 'standup in 5');
    expect(sent.recipients).to.equal(2);
    await alice.removeGroupMember({ name: 'team' }, 'carol');
    const bob = await app.as('bob');
    expect((await bob.groups()).items.map((group) => [group.name, group.creator, group.total])).to.deep.equal([['team', 'alice', 2]]);
    expect(texts((await bob.inbox()).items)).to.deep.equal(['alice added you to the group team@alice', 'standup in 5']);
    expect(await refusalCode((await app.as('carol')).sendGroup(team.id, 'let me back in'))).to.equal('NOT_MEMBER');
  });

  it('subscribes to the backlog and then to live messages, and leaves unacknowledged ones queued', async () => {
    const alice = await app.as('alice');
    await alice.addFriend('bob');
    await alice.send('bob', 'while you were away');
    const bob = await app.as('bob');
    const subscription = await bob.subscribe();
    expect(texts(await take(subscription, 2))).to.deep.equal(['alice added you as a friend', 'while you were away']);
    await eventually(async () => (await alice.friends()).items[0]!.online);

    await alice.send('bob', 'are you there?');
    const [live] = await take(subscription, 1);
    expect(live!.text).to.equal('are you there?');
    await bob.ack([live!.id]);
    await subscription.close();
    expect(await subscription.next()).to.deep.equal({ value: undefined, done: true });
    expect(texts((await bob.inbox()).items)).to.deep.equal(['alice added you as a friend', 'while you were away']);
  });

  it('ends a loop over the subscription cleanly when the host breaks out, and the user goes offline', async () => {
    const alice = await app.as('alice');
    await alice.addFriend('bob');
    const bob = await app.as('bob');
    const subscription = await bob.subscribe();
    const seen: string[] = [];
    for await (const message of subscription) {
      seen.push(message.text);
      if (seen.length === 1) await alice.send('bob', 'one more');
      if (seen.length === 2) break;
    }
    expect(seen).to.deep.equal(['alice added you as a friend', 'one more']);
    expect(subscription.ended?.reason).to.equal('CLOSED');
    await eventually(async () => !(await alice.friends()).items[0]!.online);
    // Nothing was acknowledged: both wait for the next subscription.
    expect(texts((await bob.inbox()).items)).to.deep.equal(['alice added you as a friend', 'one more']);
    expect(texts(await take(await bob.subscribe(), 2))).to.deep.equal(['alice added you as a friend', 'one more']);
  });

  it('ends the subscription when the user logs in over TCP, on a gateway given no logger', async () => {
    const gateway = new TcpGateway(app, { host: '127.0.0.1', port: 0 });
    const { port } = await gateway.listen();
    const client = await ChatClient.connect({ port });
    try {
      const alice = await app.as('alice');
      await alice.addFriend('bob');
      const subscription = await (await app.as('bob')).subscribe();
      await take(subscription, 1);
      await client.request('login', { username: 'bob', password: 'pw-bob-123' });
      expect(await subscription.next()).to.deep.equal({ value: undefined, done: true });
      expect(subscription.ended).to.deep.equal({ reason: 'SESSION_REPLACED', message: 'you logged in somewhere else' });
    } finally {
      await client.close();
      await gateway.close();
    }
  });

  it('ends the subscription when the user is banned, after what it already holds', async () => {
    await app.accounts.promote('alice', true);
    const alice = await app.as('alice');
    await alice.addFriend('bob');
    const subscription = await (await app.as('bob')).subscribe();
    await eventually(async () => (await alice.friends()).items[0]!.online);
    await alice.send('bob', 'last words');
    await alice.admin.banUser('bob');
    expect(texts(await take(subscription, 2))).to.deep.equal(['alice added you as a friend', 'last words']);
    expect(await subscription.next()).to.deep.equal({ value: undefined, done: true });
    expect(subscription.ended).to.deep.equal({ reason: 'USER_BANNED', message: 'an admin banned you' });
  });

  it(`ends a subscription TOO_SLOW when more than ${MAX_UNREAD_PUSHES} messages wait unread in it, losing none`, async () => {
    const alice = await app.as('alice');
    await alice.addFriend('bob');
    const bob = await app.as('bob');
    const subscription = await bob.subscribe();
    await take(subscription, 1);
    const flood = Array.from({ length: MAX_UNREAD_PUSHES + 1 }, (_, n) => alice.send('bob', `flood ${n}`));
    await Promise.all(flood);
    expect(subscription.ended?.reason).to.equal('TOO_SLOW');
    await eventually(async () => !(await alice.friends()).items[0]!.online);
    let queued = 0;
    for (let cursor: string | null | undefined; cursor !== null; ) {
      const page = await bob.inbox({ limit: 200, cursor: cursor ?? undefined });
      queued += page.items.length;
      cursor = page.nextCursor;
    }
    expect(queued).to.equal(1 + MAX_UNREAD_PUSHES + 1);
  });

  it('writes admin actions to the one logger it is given', async () => {
    const lines: { level: string; fields: object; message: string }[] = [];
    const record = (level: string) => (fields: object, message: string) => void lines.push({ level, fields, message });
    const logger: Logger = { debug: record('debug'), info: record('info'), warn: record('warn'), error: record('error') };
    const logged = await createChatApp({ storage: 'memory', logger });
    try {
      await logged.accounts.register('alice', 'pw-alice-123');
      await logged.accounts.register('bob', 'pw-bob-123');
      await logged.accounts.promote('alice', true);
      await (await logged.as('alice')).admin.banUser('bob');
      expect(lines).to.deep.equal([{ level: 'info', fields: { audit: true, admin: 'alice', action: 'blockuser', target: 'bob', details: { force: false } }, message: 'admin alice: blockuser bob' }]);
    } finally {
      await logged.close();
    }
  });

  it('gives each call its own application: two hosts do not share users', async () => {
    const [one, two] = await Promise.all([createChatApp({ storage: 'memory' }), createChatApp({ storage: 'memory' })]);
    await one.accounts.register('alice', 'correct horse');
    expect((await two.accounts.register('alice', 'correct horse')).username).to.equal('alice');
    await Promise.all([one.close(), two.close()]);
  });

  it('still logs users in by password, for hosts that want it', async () => {
    const { token } = await app.accounts.login('alice', 'pw-alice-123', 'embedded');
    expect((await app.accounts.authenticate(token)).username).to.equal('alice');
  });
});
