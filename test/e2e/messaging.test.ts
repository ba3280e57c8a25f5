import { expect } from 'chai';
import { MESSAGE_MAX_LENGTH } from '../../domain/index.js';
import { chatctl, run } from '../support/processes.js';
import { bodies } from '../support/refusals.js';
import { eventually, expectOk, World } from '../support/world.js';


describe('friends and private messages, end to end with real processes', function () {
  this.timeout(90_000);
  let world: World;

  beforeEach(async () => {
    world = await World.start();
    await world.users('alice', 'bob', 'carol');
  });
  afterEach(() => world.stop());

  it('adds a friend both ways, tells them, and lists friends with online status', async () => {
    const add = await world.chatctl('alice', 'add', 'Bob');
    expect([add.code, add.stdout]).to.deep.equal([0, 'bob is now your friend (offline)']);
    const again = await world.chatctl('bob', 'add', 'alice');
    expect([again.code, again.stderr]).to.deep.equal([1, 'chatctl: alice is already your friend']);
    expect((await world.chatctl('alice', 'add', 'alice')).code).to.equal(1);
    expect((await world.chatctl('alice', 'add', 'nobody')).stderr).to.equal('chatctl: there is no user called nobody');
    const listener = run(['listen'], world.as('bob'));
    await listener.stdout.waitFor(/alice added you as a friend/);
    const friends = await world.chatctl('alice', 'friends');
    expect(friends.stdout).to.equal('friend\tpresence\nbob\tonline');
    const json = await world.chatctl('alice', 'friends', '--json');
    expect(JSON.parse(json.stdout)).to.deep.equal({ friends: [{ username: 'bob', admin: false, banned: false, online: true }], nextCursor: null });
    listener.child.kill('SIGINT');
    expect(await listener.exited()).to.equal(0);
    // Online through the grace period after the listener's connection closed, then offline.
    await eventually(async () => JSON.parse((await world.chatctl('alice', 'friends', '--json')).stdout).friends[0].online === false);
  });

  it('pushes a message to a listening friend at once, then forgets it once acknowledged', async () => {
    await expectOk(world.chatctl('alice', 'add', 'bob'));
    const listener = run(['listen'], world.as('bob'));
    await listener.stderr.waitFor(/listening as bob/);
    const sent = await world.chatctl('alice', 'send', 'bob', 'hello', 'there,', 'bob 👋');
    expect([sent.code, sent.stdout]).to.deep.equal([0, 'sent to bob']);
    await listener.stdout.waitFor(/alice: hello there, bob 👋/);
    await eventually(async () => (await world.queuedFor('bob')).length === 0);
    listener.child.kill('SIGINT');
    await listener.exited();
  });

  it('keeps messages for an offline friend and prints them, oldest first, at their next login; then they are gone', async () => {
    await expectOk(world.chatctl('alice', 'add', 'bob'));
    for (const text of ['first', 'second', 'third']) await expectOk(world.chatctl('alice', 'send', 'bob', text));
    expect(await world.queuedFor('bob')).to.deep.equal(['alice added you as a friend', 'first', 'second', 'third']);
    const login = await world.chatctl('bob', 'login', 'bob', 'pw-bob-123');
    expect(login.code, login.stderr).to.equal(0);
    expect(login.stdout.split('\n')[0]).to.equal('welcome, bob; 4 messages waited for you');
    expect(bodies(login.stdout)).to.deep.equal(['* alice added you as a friend', 'alice: first', 'alice: second', 'alice: third']);
    expect(await world.queuedFor('bob')).to.deep.equal([]);
    const next = await world.chatctl('bob', 'login', 'bob', 'pw-bob-123');
    expect(next.stdout).to.equal('welcome, bob');
  });

  it('delivers again, at the next attach, what a dropped connection never acknowledged', async () => {
    await expectOk(world.chatctl('alice', 'add', 'bob'));
    await expectOk(world.chatctl('alice', 'send', 'bob', 'are you there?'));
    const seen: string[] = [];
    const bob = await world.client('bob', (event) => event.type === 'message' && seen.push(event.message.text));
    await eventually(async () => seen.length === 2);
    await bob.close();
    expect(await world.queuedFor('bob')).to.have.length(2);
    const login = await world.chatctl('bob', 'login', 'bob', 'pw-bob-123');
    expect(bodies(login.stdout)).to.deep.equal(['* alice added you as a friend', 'alice: are you there?']);
    expect(await world.queuedFor('bob')).to.deep.equal([]);
  });

  it('keeps a message whose sender saw ok through kill -9 of the server, and delivers it after a restart', async () => {
    await expectOk(world.chatctl('alice', 'add', 'bob'));
    await expectOk(world.chatctl('alice', 'send', 'bob', 'survive this'));
    await world.restart('SIGKILL');
    const login = await world.chatctl('bob', 'login', 'bob', 'pw-bob-123');
    expect(bodies(login.stdout)).to.include('alice: survive this');
  });

  it('refuses a non-friend, yourself, empty and overlong text, naming the limit, and queues nothing', async () => {
    const stranger = await world.chatctl('alice', 'send', 'carol', 'hi');
    expect([stranger.code, stranger.stderr]).to.deep.equal([1, 'chatctl: carol is not your friend: add them first']);
    expect((await world.chatctl('alice', 'send', 'alice', 'hi')).stderr).to.equal('chatctl: you cannot send a message to yourself');
    await expectOk(world.chatctl('alice', 'add', 'carol'));
    const empty = await world.chatctl('alice', 'send', 'carol', ' ');
    expect([empty.code, empty.stderr]).to.deep.equal([1, 'chatctl: a message cannot be empty']);
    const long = await world.chatctl('alice', 'send', 'carol', 'x'.repeat(MESSAGE_MAX_LENGTH + 1));
    expect([long.code, long.stderr]).to.deep.equal([1, `chatctl: a message has at most ${MESSAGE_MAX_LENGTH} characters (got ${MESSAGE_MAX_LENGTH + 1})`]);
    expect((await world.chatctl('alice', 'send', 'carol', 'x'.repeat(MESSAGE_MAX_LENGTH))).code).to.equal(0);
    expect(await world.queuedFor('carol')).to.have.length(2);
    const missing = await world.chatctl('alice', 'send', 'carol');
    expect(missing.code).to.equal(2);
  });

  it('answers an ack of ids that do not exist or belong to someone else with them as unknown, removing nothing', async () => {
    await expectOk(world.chatctl('alice', 'add', 'bob'));
    const [aliceId] = await world.query((db) => db('queued_deliveries').pluck('id'));
    const carol = await world.client('carol');
    expect(await carol.request('ack', { ids: [aliceId, 99_999] })).to.deep.equal({ acknowledged: [], unknown: [aliceId, 99_999] });
    expect(await world.queuedFor('bob')).to.have.length(1);
    await carol.close();
  });

  it('prints and acknowledges at login a backlog longer than one ack may carry', async () => {
    await expectOk(world.chatctl('alice', 'add', 'bob'));
    const alice = await world.client('alice');
    await Promise.all(Array.from({ length: 1100 }, (_, i) => alice.request('send', { to: 'bob', text: `m${i}` })));
    await alice.close();
    const login = await world.chatctl('bob', 'login', 'bob', 'pw-bob-123');
    expect(login.code, login.stderr).to.equal(0);
    expect(bodies(login.stdout)).to.have.length(1101);
    expect(await world.queuedFor('bob')).to.deep.equal([]);
  });

  it('loses nothing when two senders write to one listener at once, each in its own order', async () => {
    await expectOk(world.chatctl('bob', 'add', 'alice'));
    await expectOk(world.chatctl('bob', 'add', 'carol'));
    const listener = run(['listen'], world.as('bob'));
    await listener.stderr.waitFor(/listening as bob/);
    const PER_SENDER = 100;
    const senders = await Promise.all(['alice', 'carol'].map((name) => world.client(name)));
    await Promise.all(
      senders.map((client, s) =>
        Promise.all(Array.from({ length: PER_SENDER }, (_, i) => client.request('send', { to: 'bob', text: `${s}:${i}` }))),
      ),
    );
    await listener.stdout.waitFor(new RegExp(`alice: 0:${PER_SENDER - 1}$`));
    await listener.stdout.waitFor(new RegExp(`carol: 1:${PER_SENDER - 1}$`));
    const got = bodies(listener.stdout.seen).filter((b) => !b.startsWith('*'));
    expect(got).to.have.length(2 * PER_SENDER);
    for (const [s, name] of ['alice', 'carol'].entries()) {
      const mine = got.filter((b) => b.startsWith(`${name}:`));
      expect(mine).to.deep.equal(Array.from({ length: PER_SENDER }, (_, i) => `${name}: ${s}:${i}`));
    }
    await eventually(async () => (await world.queuedFor('bob')).length === 0);
    listener.child.kill('SIGINT');
    await listener.exited();
    await Promise.all(senders.map((c) => c.close()));
  });

  it('runs the commands, .send included, in the interactive shell on one connection', async () => {
    await expectOk(world.chatctl('alice', 'add', 'bob'));
    const shell = await chatctl(['shell'], world.as('bob'), 'friends\n.send alice hi from the shell\nsend alice and again\nsend nobody x\nquit\n');
    // Piped, the shell exits with its first failed line's status: `send nobody x` was refused.
    expect(shell.code, shell.stderr).to.equal(1);
    expect(shell.stdout).to.contain('* alice added you as a friend');
    expect(shell.stdout).to.contain('friend\tpresence\nalice\toffline');
    expect(shell.stdout.match(/sent to alice/g)).to.have.length(2);
    expect(shell.stderr).to.contain('chatctl: there is no user called nobody');
    const login = await world.chatctl('alice', 'login', 'alice', 'pw-alice-123');
    expect(bodies(login.stdout)).to.deep.equal(['bob: hi from the shell', 'bob: and again']);
  });
});
