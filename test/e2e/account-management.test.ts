import { expect } from 'chai';
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { chatctl, run, type Running } from '../support/processes.js';
import { expectOk, World } from '../support/world.js';

describe('passwd, resetpassword, unregister and deluser, end to end with real processes', function () {
  this.timeout(120_000);
  let world: World;

  /** A `chatctl listen` of the profile, once it is attached. */
  const listening = async (profile: string): Promise<Running> => {
    const listener = run(['listen'], world.as(profile));
    await listener.stderr.waitFor(/listening as/);
    return listener;
  };
  const audit = () =>
    world.server.running.stderr.seen.filter((line) => line.includes('"audit":true')).map((line) => JSON.parse(line) as { admin: string; action: string; target: string });

  beforeEach(async () => {
    world = await World.start();
    await world.users('boss', 'alice', 'bob', 'carol');
    await expectOk(chatctl(['promote', 'boss', '--db', world.server.db], world.as('boss')));
    // Logged in again: the server's caches hold the session it had before the promotion.
    await expectOk(world.chatctl('boss', 'login', 'boss', 'pw-boss-123'));
  });
  afterEach(() => world.stop());

  it('passwd changes the password: a listener is kicked, an old copy of the token dies, this profile goes on', async () => {
    const home = world.as('alice').CHATCTL_HOME!;
    copyFileSync(join(home, 'alice.json'), join(home, 'stolen.json'));
    const listener = await listening('alice');
    const changed = await chatctl(['passwd', '--password-stdin'], world.as('alice'), 'pw-alice-123\nnew-password-456\n');
    expect([changed.code, changed.stdout], changed.stderr).to.deep.equal([0, 'password changed for alice; other sessions have ended']);
    expect(await listener.exited()).to.equal(4);
    expect(listener.stderr.seen.join('\n')).to.contain('disconnected: your password was changed: log in again with the new one');
    expect((await world.chatctl('alice', 'whoami')).code).to.equal(0);
    const stolen = await world.chatctl('stolen', 'whoami');
    expect(stolen.code).to.equal(4);
    expect((await world.chatctl('x', 'login', 'alice', 'pw-alice-123')).stderr).to.equal('chatctl: wrong password');
    await expectOk(world.chatctl('x', 'login', 'alice', 'new-password-456'));
  });

  it('passwd refuses a wrong current password (exit 1), a weak new one (exit 1) and malformed input (exit 2)', async () => {
    const wrong = await chatctl(['passwd', '--password-stdin'], world.as('alice'), 'not-the-password\nnew-password-456\n');
    expect([wrong.code, wrong.stderr]).to.deep.equal([1, 'chatctl: wrong password']);
    const weak = await chatctl(['passwd', '--password-stdin', '--json'], world.as('alice'), 'pw-alice-123\nshort\n');
    expect([weak.code, JSON.parse(weak.stdout).error.code]).to.deep.equal([1, 'WEAK_PASSWORD']);
    const oneLine = await chatctl(['passwd', '--password-stdin'], world.as('alice'), 'pw-alice-123\n');
    expect([oneLine.code, oneLine.stderr]).to.deep.equal([2, 'chatctl: expected 2 passwords on standard input, one per line']);
    // Nothing changed.
    await expectOk(world.chatctl('alice', 'login', 'alice', 'pw-alice-123'));
  });

  it('resetpassword prints a new password once, kicks the user and is audited; only for admins', async () => {
    const refused = await world.chatctl('alice', 'resetpassword', 'bob');
    expect([refused.code, refused.stderr]).to.deep.equal([1, 'chatctl: only an admin can do that']);
    const listener = await listening('bob');
    const reset = await world.chatctl('boss', 'resetpassword', 'bob', '--json');
    expect(reset.code, reset.stderr).to.equal(0);
    const { user, password } = JSON.parse(reset.stdout) as { user: { username: string }; password: string };
    expect(user).to.deep.equal({ username: 'bob', admin: false, banned: false, online: false });
    expect(await listener.exited()).to.equal(4);
    expect(listener.stderr.seen.join('\n')).to.contain('an admin reset your password');
    expect((await world.chatctl('bob', 'whoami')).code).to.equal(4);
    expect((await world.chatctl('bob', 'login', 'bob', 'pw-bob-123')).code).to.equal(1);
    await expectOk(world.chatctl('bob', 'login', 'bob', password));
    const human = await world.chatctl('boss', 'resetpassword', 'carol');
    expect(human.stdout).to.match(/^new password for carol \(shown once\): \S{20,}$/);
    expect(audit().map((a) => [a.admin, a.action, a.target])).to.deep.equal([
      ['boss', 'resetpassword', 'bob'],
      ['boss', 'resetpassword', 'carol'],
    ]);
  });

  it('unregister deletes your account after asking the password: groups, friends and queue go, sent messages stay', async () => {
    await expectOk(world.chatctl('alice', 'add', 'bob'));
    await expectOk(world.chatctl('alice', 'add', 'carol'));
    await expectOk(world.chatctl('alice', 'newgroup', 'team'));
    await expectOk(world.chatctl('alice', 'addgroupuser', 'team', 'bob'));
    await expectOk(world.chatctl('bob', 'newgroup', 'club'));
    await expectOk(world.chatctl('bob', 'addgroupuser', 'club', 'alice'));
    await expectOk(world.chatctl('bob', 'send', 'alice', 'for alice'));
    await expectOk(world.chatctl('alice', 'send', 'carol', 'from alice'));
    const wrong = await chatctl(['unregister', '--password-stdin'], world.as('alice'), 'not-the-password\n');
    expect([wrong.code, wrong.stderr]).to.deep.equal([1, 'chatctl: wrong password']);
    const listener = await listening('alice');
    const deleted = await chatctl(['unregister', '--password-stdin'], world.as('alice'), 'pw-alice-123\n');
    expect([deleted.code, deleted.stdout], deleted.stderr).to.deep.equal([0, 'deleted the account alice']);
    expect(await listener.exited()).to.equal(4);
    expect(listener.stderr.seen.join('\n')).to.contain('disconnected: you deleted your account');
    expect((await world.chatctl('alice', 'whoami')).stderr).to.contain('not logged in');
    const bobFriends = JSON.parse((await world.chatctl('bob', 'friends', '--json')).stdout) as { friends: unknown[] };
    expect(bobFriends.friends).to.deep.equal([]);
    const bobGroups = JSON.parse((await world.chatctl('bob', 'groups', '--json')).stdout) as { groups: { name: string; members: number }[] };
    expect(bobGroups.groups.map((g) => [g.name, g.members])).to.deep.equal([['club', 1]]);
    expect(await world.queuedFor('bob')).to.include(`alice's account was deleted, and with it the group "team"`);
    expect(await world.queuedFor('carol')).to.include('from alice');
    expect(await world.query((db) => db('queued_deliveries').where({ recipient_id: 2 }).count({ n: '*' }))).to.deep.equal([{ n: 0 }]);
    const send = await world.chatctl('bob', 'send', 'alice', 'are you there?');
    expect([send.code, send.stderr]).to.deep.equal([1, 'chatctl: there is no user called alice']);
    // The name is free again.
    await expectOk(chatctl(['reg', 'alice', '--password-stdin'], world.as('alice'), 'a-new-alice-123\n'));
  });

  it('deluser lets an admin delete any account, kicking its listener, audited; refused to others', async () => {
    const refused = await world.chatctl('alice', 'deluser', 'bob');
    expect([refused.code, refused.stderr]).to.deep.equal([1, 'chatctl: only an admin can do that']);
    const listener = await listening('bob');
    const deleted = await world.chatctl('boss', 'deluser', 'bob');
    expect([deleted.code, deleted.stdout], deleted.stderr).to.deep.equal([0, 'deleted the account bob']);
    expect(await listener.exited()).to.equal(4);
    expect(listener.stderr.seen.join('\n')).to.contain('disconnected: an admin deleted your account');
    const again = await world.chatctl('boss', 'deluser', 'bob', '--json');
    expect([again.code, JSON.parse(again.stdout).error.code]).to.deep.equal([1, 'UNKNOWN_USER']);
    expect(audit().map((a) => [a.admin, a.action, a.target])).to.deep.equal([['boss', 'deluser', 'bob']]);
  });
});
