import { expect } from 'chai';
import { chatctl, run } from '../support/processes.js';
import { eventually, expectOk, World } from '../support/world.js';

/** The one JSON document a command printed: its standard output must be exactly one line of JSON. */
function document(outcome: { code: number | null; stdout: string; stderr: string }): Record<string, unknown> {
  expect(outcome.code, outcome.stderr).to.equal(0);
  expect(outcome.stdout.split('\n'), outcome.stdout).to.have.length(1);
  return JSON.parse(outcome.stdout) as Record<string, unknown>;
}

const USER_KEYS = ['username', 'admin', 'banned', 'online'];
const GROUP_KEYS = ['id', 'name', 'owner', 'members', 'online', 'banned'];

describe('chatctl output for programs, end to end with real processes', function () {
  this.timeout(60_000);
  let world: World;

  beforeEach(async () => {
    world = await World.start();
    await world.users('alice', 'bob');
  });
  afterEach(() => world.stop());

  it('prints one JSON document per command, with the same keys for a user and for a group whichever command printed it', async () => {
    const json = (profile: string, ...args: string[]) => world.chatctl(profile, ...args, '--json').then(document);
    expect(Object.keys((await json('alice', 'whoami')).user as object)).to.deep.equal(USER_KEYS);
    expect((await json('alice', 'add', 'bob')).user).to.deep.equal({ username: 'bob', admin: false, banned: false, online: false });
    expect(((await json('alice', 'friends')).friends as object[]).map((u) => Object.keys(u))).to.deep.equal([USER_KEYS]);
    const sent = (await json('alice', 'send', 'bob', 'hi')).message as Record<string, unknown>;
    expect(Object.keys(sent)).to.deep.equal(['id', 'to', 'sentAt']);
    const created = (await json('alice', 'newgroup', 'team')).group;
    expect(created).to.deep.equal({ id: 1, name: 'team', owner: 'alice', members: 1, online: 0, banned: false });
    expect(Object.keys((await json('alice', 'addgroupuser', 'team@alice', 'bob')).group as object)).to.deep.equal(GROUP_KEYS);
    expect(((await json('alice', 'groups')).groups as object[]).map((g) => Object.keys(g))).to.deep.equal([GROUP_KEYS]);
    const toGroup = (await json('alice', 'sendgroup', '1', 'all')).message as Record<string, unknown>;
    expect(Object.keys(toGroup)).to.deep.equal(['id', 'group', 'sentAt', 'recipients', 'queueFull']);
    expect(Object.keys((await json('alice', 'delgroupuser', 'team@alice', 'bob')).group as object)).to.deep.equal(GROUP_KEYS);
    expect((await json('alice', 'delgroup', 'team@alice')).group).to.include({ name: 'team', owner: 'alice' });
    expect(await json('alice', 'logout')).to.deep.equal({ username: 'alice' });
    const refused = await world.chatctl('alice', 'whoami', '--json');
    expect([refused.code, JSON.parse(refused.stdout)]).to.deep.equal([4, { error: { code: 'NOT_AUTHENTICATED', message: 'not logged in: run `chatctl login <username>` first' } }]);
  });

  it('puts what waited in the one document of login --json, and acknowledges it', async () => {
    await expectOk(world.chatctl('alice', 'add', 'bob'));
    await expectOk(world.chatctl('alice', 'send', 'bob', 'one'));
    await expectOk(world.chatctl('alice', 'send', 'bob', 'two'));
    const login = document(await chatctl(['login', 'bob', 'pw-bob-123', '--json'], world.as('bob')));
    expect(login).to.deep.include({ user: { username: 'bob', admin: false, banned: false, online: true }, welcome: 'welcome, bob', backlog: 3 });
    const messages = login.messages as Record<string, unknown>[];
    expect(messages.map(({ type, from, text, group }) => ({ type, from, text, group }))).to.deep.equal([
      { type: 'notice', from: 'alice', text: 'alice added you as a friend', group: null },
      { type: 'message', from: 'alice', text: 'one', group: null },
      { type: 'message', from: 'alice', text: 'two', group: null },
    ]);
    expect(messages[1]).to.have.keys('type', 'id', 'from', 'system', 'group', 'text', 'sentAt');
    await eventually(async () => (await world.queuedFor('bob')).length === 0);
  });

  it('streams listen --json as one JSON object per line: messages, notices, and the kick that ends it', async () => {
    await expectOk(world.chatctl('alice', 'add', 'bob'));
    const listener = run(['listen', '--json'], world.as('bob'));
    await listener.stdout.waitFor(/added you as a friend/);
    await expectOk(world.chatctl('alice', 'newgroup', 'team'));
    await expectOk(world.chatctl('alice', 'addgroupuser', 'team', 'bob'));
    await expectOk(world.chatctl('alice', 'sendgroup', 'team@alice', 'to', 'the', 'team'));
    await listener.stdout.waitFor(/"to the team"/);
    await expectOk(chatctl(['login', 'bob', 'pw-bob-123'], world.as('elsewhere')));
    expect(await listener.exited()).to.equal(4);
    const events = listener.stdout.seen.map((line) => JSON.parse(line) as Record<string, unknown>);
    const team = { id: 1, name: 'team', owner: 'alice' };
    expect(events.map(({ type, group, text }) => ({ type, group, text }))).to.deep.equal([
      { type: 'notice', group: null, text: 'alice added you as a friend' },
      { type: 'notice', group: team, text: 'alice added you to the group team@alice' },
      { type: 'message', group: team, text: 'to the team' },
      { type: 'kicked', group: undefined, text: undefined },
      { type: undefined, group: undefined, text: undefined },
    ]);
    expect(events[3]).to.deep.equal({ type: 'kicked', reason: 'SESSION_REPLACED', message: events[3]!.message });
    expect(events[4]).to.have.property('error').that.includes({ code: 'SESSION_REPLACED' });
    expect(listener.stderr.seen).to.deep.equal([]);
  });
});
