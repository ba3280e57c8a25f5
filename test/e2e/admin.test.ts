import { expect } from 'chai';
import type { OperationName } from '../../interfaces/wire/operations.js';
import { chatctl, run } from '../support/processes.js';
import { bodies } from '../support/refusals.js';
import { eventually, expectOk, World } from '../support/world.js';


describe('administration, end to end with real processes', function () {
  this.timeout(120_000);
  let world: World;

  beforeEach(async () => {
    world = await World.start();
    await world.users('boss', 'alice', 'bob');
    await expectOk(chatctl(['promote', 'boss', '--db', world.server.db], world.as('boss')));
    expect((await world.chatctl('boss', 'login', 'boss', 'pw-boss-123')).stdout).to.equal('welcome, boss (admin)');
  });
  afterEach(() => world.stop());

  it('refuses every admin operation to a non-admin at the protocol level', async () => {
    const cli = await world.chatctl('alice', 'allusers');
    expect([cli.code, cli.stderr]).to.deep.equal([1, 'chatctl: only an admin can do that']);
    expect((await world.chatctl('alice', '--help')).stdout).to.not.contain('allusers');
    expect((await world.chatctl('boss', '--help')).stdout).to.contain('[admin] Every user');
    const alice = await world.client('alice');
    const calls: [OperationName, Record<string, unknown>][] = [
      ['allusers', {}],
      ['allgroup', {}],
      ['adminsend', { to: 'bob', text: 'x' }],
      ['adminsendgroup', { name: 'g', creator: 'bob', text: 'x' }],
      ['blockuser', { username: 'bob' }],
      ['unblockuser', { username: 'bob' }],
      ['blockgroup', { name: 'g', creator: 'bob' }],
      ['unblockgroup', { name: 'g', creator: 'bob' }],
    ];
    for (const [op, args] of calls) {
      const error = await alice.request(op, args).then(() => undefined, (e: { code: string }) => e);
      expect(error, op).to.include({ code: 'NOT_ADMIN' });
    }
    await alice.close();
  });

  it('lists every user with ban and presence, and --online keeps the attached ones', async () => {
    const listener = run(['listen'], world.as('alice'));
    await listener.stderr.waitFor(/listening as alice/);
    const users = async () => JSON.parse((await world.chatctl('boss', 'allusers', '--json')).stdout).users as { username: string; online: boolean }[];
    // The set-up's logins count online for the grace period after them; then only the listener does.
    await eventually(async () => (await users()).filter((user) => user.online).length === 1);
    expect(await users()).to.deep.equal([
      { username: 'boss', admin: true, banned: false, online: false },
      { username: 'alice', admin: false, banned: false, online: true },
      { username: 'bob', admin: false, banned: false, online: false },
    ]);
    const online = await world.chatctl('boss', 'allusers', '--online');
    expect(online.stdout).to.equal('user\trole\tstatus\tpresence\nalice\tuser\tactive\tonline');
    listener.child.kill('SIGINT');
    await listener.exited();
  });

  it('sends system messages to anyone and to any group, queued for the offline, tagged on display', async () => {
    await expectOk(world.chatctl('alice', 'newgroup', 'team'));
    await expectOk(world.chatctl('alice', 'addgroupuser', 'team', 'bob'));
    const adminsend = JSON.parse((await world.chatctl('boss', 'adminsend', 'bob', 'maintenance at noon', '--json')).stdout) as { message: Record<string, unknown> };
    expect(Object.keys(adminsend.message)).to.deep.equal(['id', 'to', 'sentAt']);
    expect(adminsend.message).to.include({ to: 'bob' });
    expect((await world.chatctl('boss', 'adminsendgroup', 'team@alice', 'be nice')).stdout).to.equal('system message sent to team@alice (2 members)');
    expect((await world.chatctl('boss', 'adminsendgroup', 'team@bob', 'x')).stderr).to.equal('chatctl: there is no group team@bob');
    const ownerless = await world.chatctl('boss', 'adminsendgroup', 'team', 'x');
    expect([ownerless.code, ownerless.stderr.split('\n').at(-1)]).to.deep.equal([2, 'chatctl: say whose group it is: write it as name@owner, such as team@alice']);
    expect((await world.chatctl('boss', 'adminsend', 'nobody', 'x')).code).to.equal(1);
    const login = await world.chatctl('bob', 'login', 'bob', 'pw-bob-123');
    expect(bodies(login.stdout).slice(-2)).to.deep.equal(['[system] boss: maintenance at noon', 'team@alice [system] boss: be nice']);
    const audit = world.server.running.stderr.seen.filter((line) => line.includes('"audit":true')).map((line) => JSON.parse(line));
    expect(audit.map((a) => [a.admin, a.action, a.target])).to.deep.equal([
      ['boss', 'adminsend', 'bob'],
      ['boss', 'adminsendgroup', 'team@alice'],
    ]);
  });

  it('answers a repeated adminsend or adminsendgroup with the first answer, storing and auditing it once', async () => {
    await expectOk(world.chatctl('alice', 'newgroup', 'team'));
    await expectOk(world.chatctl('alice', 'addgroupuser', 'team', 'bob'));
    const root = await world.client('boss');
    try {
      const direct = { to: 'bob', text: 'only once', clientMsgId: 'a-1' };
      const first = await root.request('adminsend', direct);
      expect(await root.request('adminsend', direct)).to.deep.equal(first);
      const group = { name: 'team', creator: 'alice', text: 'all once', clientMsgId: 'a-2' };
      const sent = await root.request('adminsendgroup', group);
      const team = { id: 1, name: 'team', creator: 'alice', online: 0, total: 2, banned: false };
      expect(sent).to.deep.include({ message: { group: team, recipients: 2, queueFull: [], sentAt: (sent.message as { sentAt: string }).sentAt } });
      expect(await root.request('adminsendgroup', group)).to.deep.equal(sent);
    } finally {
      await root.close();
    }
    expect((await world.queuedFor('bob')).filter((body) => body.endsWith('once'))).to.deep.equal(['only once', 'all once']);
    const audit = world.server.running.stderr.seen.filter((line) => line.includes('"audit":true')).map((line) => (JSON.parse(line) as { action: string }).action);
    expect(audit).to.deep.equal(['adminsend', 'adminsendgroup']);
  });

  it('bans a user: kicked live, refused at login, token revoked for good, queued messages kept; unban lets them log in again', async () => {
    await expectOk(world.chatctl('alice', 'add', 'bob'));
    await expectOk(world.chatctl('bob', 'send', 'alice', 'queued before the ban'));
    expect((await world.chatctl('boss', 'blockuser', 'alice')).stdout).to.equal('alice is banned');
    expect(await world.queuedFor('alice')).to.deep.equal(['queued before the ban']);
    expect((await world.chatctl('alice', 'login', 'alice', 'pw-alice-123')).stderr).to.equal('chatctl: alice is banned');
    expect((await world.chatctl('boss', 'blockuser', 'alice')).stderr).to.equal('chatctl: alice is already banned');
    const bans = await world.query((db) => db('users').where({ username: 'alice' }).select('banned_by', 'banned_at'));
    expect(bans[0].banned_by).to.be.a('number');
    expect(Number(bans[0].banned_at)).to.be.closeTo(Date.now(), 60_000);
    const unbanned = JSON.parse((await world.chatctl('boss', 'unblockuser', 'alice', '--json')).stdout);
    expect(unbanned).to.deep.equal({ user: { username: 'alice', admin: false, banned: false, online: false } });
    expect((await world.chatctl('boss', 'unblockuser', 'alice')).stderr).to.equal('chatctl: alice is not banned');
    const stale = await world.chatctl('alice', 'whoami');
    expect([stale.code, stale.stderr]).to.deep.equal([4, 'chatctl: your session has ended (logged out, logged in elsewhere, or banned); log in again']);

    const back = await world.chatctl('alice', 'login', 'alice', 'pw-alice-123');
    expect(bodies(back.stdout)).to.include('bob: queued before the ban');
    const listener = run(['listen'], world.as('alice'));
    await listener.stderr.waitFor(/listening as alice/);
    expect((await world.chatctl('boss', 'blockuser', 'alice')).code).to.equal(0);
    expect(await listener.exited()).to.equal(4);
    expect(listener.stderr.seen.join('\n')).to.contain('disconnected: an admin banned you');
    expect((await world.chatctl('alice', 'whoami')).stderr).to.equal('chatctl: your session has ended (logged out, logged in elsewhere, or banned); log in again');
  });

  it('asks for --force to ban yourself or another admin', async () => {
    const self = await world.chatctl('boss', 'blockuser', 'boss');
    expect([self.code, self.stderr]).to.deep.equal([1, 'chatctl: boss is you: say --force to ban them anyway']);
    await expectOk(chatctl(['promote', 'bob', '--db', world.server.db], world.as('bob')));
    expect((await world.chatctl('boss', 'blockuser', 'bob')).stderr).to.equal('chatctl: bob is an admin: say --force to ban them anyway');
    expect((await world.chatctl('boss', 'blockuser', 'bob', '--force')).code).to.equal(0);
  });

  it('bans a group: members cannot send, groups shows it, unban restores it', async () => {
    await expectOk(world.chatctl('alice', 'newgroup', 'team'));
    await expectOk(world.chatctl('alice', 'addgroupuser', 'team', 'bob'));
    expect((await world.chatctl('boss', 'blockgroup', 'team@alice')).stdout).to.equal('the group team@alice is banned');
    expect((await world.chatctl('boss', 'blockgroup', 'team@alice')).stderr).to.equal('chatctl: the group team@alice is already banned');
    expect((await world.chatctl('boss', 'blockgroup', 'team')).code).to.equal(2);
    expect((await world.chatctl('alice', 'groups')).stdout).to.equal('#\tgroup\tonline\tmembers\tstatus\n1\tteam@alice\t0\t2\tbanned');
    const refused = await world.chatctl('alice', 'sendgroup', '1', 'hello?');
    expect([refused.code, refused.stderr]).to.deep.equal([1, 'chatctl: the group "team" is banned']);
    expect((await world.chatctl('boss', 'allgroup')).stdout).to.equal('group\tonline\tmembers\tstatus\nteam@alice\t0\t2\tbanned');
    // blockuser and blockgroup answer with the same nouns as allusers and allgroup.
    const unblocked = JSON.parse((await world.chatctl('boss', 'unblockgroup', 'team@alice', '--json')).stdout);
    expect(unblocked).to.deep.equal({ group: { id: 1, name: 'team', owner: 'alice', members: 2, online: 0, banned: false } });
    expect((await world.chatctl('boss', 'unblockgroup', 'team@alice')).stderr).to.equal('chatctl: the group team@alice is not banned');
    expect((await world.chatctl('alice', 'sendgroup', '1', 'back')).code).to.equal(0);
  });

  it('runs the admin commands in the shell after an admin login', async () => {
    const shell = await chatctl(['shell'], world.as('boss'), 'allusers --online\nadminsend alice hi from the shell\nquit\n');
    expect(shell.code, shell.stderr).to.equal(0);
    expect(shell.stdout).to.contain('boss\tadmin\tactive\tonline');
    expect(shell.stdout).to.contain('system message sent to alice');
  });
});
