import { expect } from 'chai';
import { MAX_GROUPS_PER_CREATOR } from '../../domain/index.js';
import { chatctl, run } from '../support/processes.js';
import { bodies } from '../support/refusals.js';
import { eventually, expectOk, World } from '../support/world.js';


describe('groups, end to end with real processes', function () {
  this.timeout(120_000);
  let world: World;

  beforeEach(async () => {
    world = await World.start();
    await world.users('alice', 'bob', 'carol');
  });
  afterEach(() => world.stop());

  it('creates a group owned by its creator, refusing a duplicate name, a bad name, and an eleventh group', async () => {
    const created = await world.chatctl('alice', 'newgroup', 'team');
    expect([created.code, created.stdout]).to.deep.equal([0, 'created team@alice (1 member, 0 online)']);
    expect(await world.query((db) => db('group_members').select('role'))).to.deep.equal([{ role: 0 }]);
    const again = await world.chatctl('alice', 'newgroup', 'team');
    expect([again.code, again.stderr]).to.deep.equal([1, 'chatctl: you already have a group called "team"']);
    expect((await world.chatctl('bob', 'newgroup', 'team')).code).to.equal(0);
    const tooLong = await world.chatctl('alice', 'newgroup', 'x'.repeat(33));
    expect([tooLong.code, tooLong.stderr]).to.deep.equal([1, 'chatctl: a group name has at most 32 characters']);
    expect((await world.chatctl('alice', 'newgroup', 'bad\u0007name')).stderr).to.contain('control characters');
    for (let i = 2; i <= MAX_GROUPS_PER_CREATOR; i++) await expectOk(world.chatctl('alice', 'newgroup', `g${i}`));
    const eleventh = await world.chatctl('alice', 'newgroup', 'one-too-many');
    expect([eleventh.code, eleventh.stderr]).to.deep.equal([1, `chatctl: you already have ${MAX_GROUPS_PER_CREATOR} groups, the most one user may create`]);
    expect(await world.query((db) => db('groups').where({ name: 'one-too-many' }).count({ n: '*' }))).to.deep.equal([{ n: 0 }]);
  });

  it('invites and kicks (owner only), tells the member even offline, and refuses what breaks the rules', async () => {
    await expectOk(world.chatctl('alice', 'newgroup', 'team'));
    const invite = await world.chatctl('alice', 'addgroupuser', 'team', 'bob');
    expect([invite.code, invite.stdout]).to.deep.equal([0, 'bob is now in team@alice (2 members, 0 online)']);
    expect((await world.chatctl('alice', 'addgroupuser', 'team', 'bob')).stderr).to.equal('chatctl: already a member of that group');
    expect((await world.chatctl('alice', 'addgroupuser', 'team', 'nobody')).stderr).to.equal('chatctl: there is no user called nobody');
    expect((await world.chatctl('alice', 'addgroupuser', 'nogroup', 'bob')).stderr).to.equal('chatctl: you have no group called "nogroup"');
    const notOwner = await world.chatctl('bob', 'addgroupuser', 'team', 'carol');
    expect([notOwner.code, notOwner.stderr]).to.deep.equal([1, 'chatctl: only the owner of "team" or an admin can do that']);
    expect((await world.chatctl('bob', 'delgroupuser', 'team', 'alice')).code).to.equal(1);
    expect((await world.chatctl('alice', 'delgroupuser', 'team', 'alice')).stderr).to.equal('chatctl: you cannot kick yourself');
    expect((await world.chatctl('alice', 'delgroupuser', 'team', 'carol')).stderr).to.equal('chatctl: carol is not in the group team@alice');
    const kick = await world.chatctl('alice', 'delgroupuser', 'team', 'bob');
    expect([kick.code, kick.stdout]).to.deep.equal([0, 'bob is no longer in team@alice (1 member, 0 online)']);
    const login = await world.chatctl('bob', 'login', 'bob', 'pw-bob-123');
    expect(bodies(login.stdout)).to.deep.equal([
      '* alice added you to the group team@alice',
      '* alice removed you from the group team@alice',
    ]);
  });

  it('lets an admin invite and kick in any group, but never kick the owner', async () => {
    await expectOk(world.chatctl('alice', 'newgroup', 'team'));
    await expectOk(chatctl(['promote', 'carol', '--db', world.server.db], world.as('carol')));
    await expectOk(world.chatctl('carol', 'login', 'carol', 'pw-carol-123'));
    expect((await world.chatctl('carol', 'addgroupuser', 'team', 'bob')).code).to.equal(0);
    expect((await world.chatctl('carol', 'delgroupuser', 'team', 'alice')).stderr).to.equal('chatctl: the owner cannot be kicked');
    expect((await world.chatctl('carol', 'delgroupuser', 'team', 'bob')).code).to.equal(0);
    expect((await world.chatctl('carol', 'delgroup', 'team')).stderr).to.equal('chatctl: only the owner can delete "team"');
  });

  it('asks which group when two you see share a name, and takes name@owner (or --creator)', async () => {
    await expectOk(world.chatctl('alice', 'newgroup', 'team'));
    await expectOk(world.chatctl('bob', 'newgroup', 'team'));
    await expectOk(world.chatctl('bob', 'addgroupuser', 'team', 'alice'));
    const ambiguous = await world.chatctl('alice', 'addgroupuser', 'team', 'carol');
    expect([ambiguous.code, ambiguous.stderr]).to.deep.equal([1, 'chatctl: 2 groups are called "team": say which, as team@alice or team@bob']);
    const json = await world.chatctl('alice', 'addgroupuser', 'team', 'carol', '--json');
    expect(JSON.parse(json.stdout).error.code).to.equal('AMBIGUOUS_GROUP');
    const added = await world.chatctl('alice', 'addgroupuser', 'team@alice', 'carol', '--json');
    expect(JSON.parse(added.stdout)).to.deep.equal({ group: { id: 1, name: 'team', owner: 'alice', members: 2, online: 0, banned: false } });
    expect((await world.chatctl('alice', 'delgroupuser', 'team', 'carol', '--creator', 'alice')).code).to.equal(0);
    expect((await world.chatctl('alice', 'delgroup', 'team@alice')).stdout).to.equal('deleted the group team@alice');
    expect((await world.chatctl('alice', 'addgroupuser', 'team@alice', 'carol')).stderr).to.equal('chatctl: you have no group team@alice');
  });

  it('lists groups as name@owner, numbered; sendgroup takes the number from that listing or the name', async () => {
    const noListing = await world.chatctl('alice', 'sendgroup', '1', 'hi');
    expect([noListing.code, noListing.stderr]).to.deep.equal([2, 'chatctl: no group listing yet: run `chatctl groups`, then use a number from it, or name the group as name@owner']);
    await expectOk(world.chatctl('alice', 'newgroup', 'team'));
    await expectOk(world.chatctl('alice', 'newgroup', 'book club'));
    await expectOk(world.chatctl('alice', 'addgroupuser', 'book club', 'bob'));
    const listener = run(['listen'], world.as('bob'));
    await listener.stderr.waitFor(/listening as bob/);
    const groups = await world.chatctl('alice', 'groups');
    expect(groups.stdout).to.equal('#\tgroup\tonline\tmembers\tstatus\n1\tteam@alice\t0\t1\tactive\n2\t"book club"@alice\t1\t2\tactive');
    const sent = await world.chatctl('alice', 'sendgroup', '2', 'chapter', 'one');
    expect([sent.code, sent.stdout]).to.deep.equal([0, 'sent to "book club"@alice (1 member)']);
    await listener.stdout.waitFor(/\] "book club"@alice alice: chapter one$/);
    const byName = await world.chatctl('alice', 'sendgroup', '"book club"@alice', 'chapter', 'two', '--json');
    const { message } = JSON.parse(byName.stdout) as { message: Record<string, unknown> };
    expect(message).to.deep.include({ id: null, recipients: 1, queueFull: [], group: { id: 2, name: 'book club', owner: 'alice', members: 2, online: 1, banned: false } });
    expect(message.sentAt).to.be.a('string');
    await listener.stdout.waitFor(/"book club"@alice alice: chapter two$/);
    const bare = await world.chatctl('alice', 'sendgroup', 'book club', 'chapter', 'three');
    expect([bare.code, bare.stdout]).to.deep.equal([0, 'sent to "book club"@alice (1 member)']);
    const unknown = await world.chatctl('alice', 'sendgroup', 'team@bob', 'hi');
    expect([unknown.code, unknown.stderr]).to.deep.equal([1, 'chatctl: you are in no group team@bob']);
    const outOfRange = await world.chatctl('alice', 'sendgroup', '3', 'hi');
    expect([outOfRange.code, outOfRange.stderr]).to.deep.equal([2, 'chatctl: 3 is not a number from your last `groups` listing (1 to 2): run `chatctl groups` to see them']);
    const noSuchName = await world.chatctl('alice', 'sendgroup', 'x', 'hi');
    expect([noSuchName.code, noSuchName.stderr]).to.deep.equal([1, 'chatctl: you are in no group called "x"']);
    listener.child.kill('SIGINT');
    await listener.exited();
  });

  it('deletes a group and its memberships at once, telling every member; later commands on it are refused', async () => {
    await expectOk(world.chatctl('alice', 'newgroup', 'team'));
    await expectOk(world.chatctl('alice', 'addgroupuser', 'team', 'bob'));
    await expectOk(world.chatctl('alice', 'addgroupuser', 'team', 'carol'));
    await expectOk(world.chatctl('bob', 'groups'));
    expect((await world.chatctl('bob', 'delgroup', 'team')).stderr).to.equal('chatctl: only the owner can delete "team"');
    const deleted = await world.chatctl('alice', 'delgroup', 'team');
    expect([deleted.code, deleted.stdout]).to.deep.equal([0, 'deleted the group team@alice']);
    expect(await world.query((db) => db('group_members').count({ n: '*' }))).to.deep.equal([{ n: 0 }]);
    expect(await world.query((db) => db('groups').count({ n: '*' }))).to.deep.equal([{ n: 0 }]);
    const stale = await world.chatctl('bob', 'sendgroup', '1', 'anyone?');
    expect([stale.code, stale.stderr]).to.deep.equal([1, 'chatctl: that group does not exist (any more): run `groups` again']);
    for (const name of ['bob', 'carol']) {
      const login = await world.chatctl(name, 'login', name, `pw-${name}-123`);
      expect(bodies(login.stdout).at(-1)).to.equal('* alice deleted the group team@alice');
    }
    expect((await world.chatctl('alice', 'delgroup', 'team')).stderr).to.equal('chatctl: you have no group called "team"');
  });

  it('delivers a group message to every other member exactly once and in order, live or at the next attach', async () => {
    await expectOk(world.chatctl('alice', 'newgroup', 'team'));
    for (const name of ['bob', 'carol']) await expectOk(world.chatctl('alice', 'addgroupuser', 'team', name));
    await expectOk(world.chatctl('bob', 'login', 'bob', 'pw-bob-123'));
    const listener = run(['listen'], world.as('bob'));
    await listener.stderr.waitFor(/listening as bob/);
    const alice = await world.client('alice');
    const { groups } = await alice.request('groups');
    const COUNT = 30;
    await Promise.all(Array.from({ length: COUNT }, (_, i) => alice.request('sendgroup', { group: groups[0]!.id, text: `m${i}` })));
    const expected = Array.from({ length: COUNT }, (_, i) => `team@alice alice: m${i}`);
    await listener.stdout.waitFor(new RegExp(`alice: m${COUNT - 1}$`));
    expect(bodies(listener.stdout.seen)).to.deep.equal(expected);
    const carol = await world.chatctl('carol', 'login', 'carol', 'pw-carol-123');
    expect(bodies(carol.stdout).filter((b) => !b.startsWith('*'))).to.deep.equal(expected);
    await eventually(async () => (await world.queuedFor('bob')).length === 0);
    expect(await world.queuedFor('alice')).to.deep.equal([]);
    const outsider = await world.client('carol');
    await outsider.request('delgroupuser', { name: 'team', username: 'carol' }).catch(() => undefined);
    listener.child.kill('SIGINT');
    await listener.exited();
    await Promise.all([alice.close(), outsider.close()]);
  });

  it('runs every group command in the interactive shell', async () => {
    const lines = ['newgroup team', 'addgroupuser team bob', 'groups', 'sendgroup 1 from the shell', 'delgroupuser team bob', 'delgroup team', 'quit'];
    const shell = await chatctl(['shell'], world.as('alice'), `${lines.join('\n')}\n`);
    expect(shell.code, shell.stderr).to.equal(0);
    for (const expected of [
      'created team@alice (1 member, 1 online)',
      'bob is now in team@alice (2 members, 1 online)',
      '1\tteam@alice\t1\t2\tactive',
      'sent to team@alice (1 member)',
      'bob is no longer in team@alice (1 member, 1 online)',
      'deleted the group team@alice',
    ]) {
      expect(shell.stdout).to.contain(expected);
    }
    const login = await world.chatctl('bob', 'login', 'bob', 'pw-bob-123');
    expect(bodies(login.stdout)).to.include('team@alice alice: from the shell');
  });

  it('refuses a message to a group you are not in', async () => {
    await expectOk(world.chatctl('alice', 'newgroup', 'team'));
    const carol = await world.client('carol');
    const groupId = (await world.query((db) => db('groups').pluck('id')))[0];
    const error = await carol.request('sendgroup', { group: groupId, text: 'let me in' }).catch((e: Error & { code: string }) => e);
    expect(error).to.include({ code: 'NOT_MEMBER' });
    await carol.close();
  });
});
