import { expect } from 'chai';
import type { Storage } from '../../infrastructure/storage.js';
import type { User } from '../../domain/index.js';
import { at, refusal, rejection, storageFixture, tamper } from './storage-fixture.js';

export function describeGroupRepository(name: string, open: () => Promise<Storage>): void {
  describe(`GroupRepository: ${name}`, () => {
    const fixture = storageFixture(open);
    const groups = () => fixture.storage.repositories.groups;
    let alice: User;
    let bob: User;
    let carol: User;
    beforeEach(async () => {
      [alice, bob, carol] = [await fixture.addUser('alice'), await fixture.addUser('bob'), await fixture.addUser('carol')];
    });

    it('creates a group with its creator as owner', async () => {
      const team = await groups().create({ name: 'team 🚀', creatorId: alice.id, createdAt: at(1) });
      expect(team).to.deep.equal({ id: team.id, name: 'team 🚀', creatorId: alice.id, ban: null, createdAt: at(1) });
      expect(await groups().byId(team.id)).to.deep.equal(team);
      expect(await groups().members(team.id)).to.deep.equal([{ groupId: team.id, userId: alice.id, role: 'owner', joinedAt: at(1) }]);
      expect(await groups().byId(team.id + 1000)).to.equal(undefined);
    });

    it('refuses a second group of the same name by the same creator with GROUP_EXISTS, storing nothing', async () => {
      const team = await groups().create({ name: 'team', creatorId: alice.id, createdAt: at(1) });
      expect(await refusal(groups().create({ name: 'team', creatorId: alice.id, createdAt: at(2) }))).to.equal('GROUP_EXISTS');
      expect(await groups().byName('team')).to.deep.equal([team]);
      expect(await groups().countCreatedBy(alice.id)).to.equal(1);
      expect((await groups().groupsOf(alice.id)).map((s) => s.group.id)).to.deep.equal([team.id]);
    });

    it('never lets concurrent creates by one creator pass the limit, and counts only that creator\'s groups', async () => {
      await groups().create({ name: 'theirs', creatorId: bob.id, createdAt: at(0), maxPerCreator: 3 });
      const attempts = await Promise.allSettled(
        Array.from({ length: 6 }, (_, i) => groups().create({ name: `g${i}`, creatorId: alice.id, createdAt: at(i), maxPerCreator: 3 })),
      );
      expect(attempts.filter((a) => a.status === 'fulfilled')).to.have.length(3);
      for (const failed of attempts.filter((a) => a.status === 'rejected')) expect(failed.reason).to.include({ code: 'GROUP_LIMIT_REACHED' });
      expect(await groups().countCreatedBy(alice.id)).to.equal(3);
      expect(await refusal(groups().create({ name: 'g0', creatorId: alice.id, createdAt: at(9), maxPerCreator: 3 }))).to.equal('GROUP_LIMIT_REACHED');
    });

    it('lets two creators each have a group of one name, and tells names apart by case', async () => {
      const mine = await groups().create({ name: 'team', creatorId: alice.id, createdAt: at(1) });
      const upper = await groups().create({ name: 'Team', creatorId: alice.id, createdAt: at(2) });
      const theirs = await groups().create({ name: 'team', creatorId: bob.id, createdAt: at(3) });
      expect(await groups().byName('team')).to.deep.equal([mine, theirs]);
      expect(await groups().byName('Team')).to.deep.equal([upper]);
      expect(await groups().byName('TEAM')).to.deep.equal([]);
      expect(await groups().countCreatedBy(alice.id)).to.equal(2);
      expect(await groups().countCreatedBy(carol.id)).to.equal(0);
    });

    it('adds a member once, refusing the second time with ALREADY_MEMBER', async () => {
      const team = await groups().create({ name: 'team', creatorId: alice.id, createdAt: at(1) });
      expect(await groups().addMember(team.id, bob.id, 'member', at(2))).to.deep.equal({ groupId: team.id, userId: bob.id, role: 'member', joinedAt: at(2) });
      expect(await refusal(groups().addMember(team.id, bob.id, 'member', at(3)))).to.equal('ALREADY_MEMBER');
      expect(await refusal(groups().addMember(team.id, alice.id, 'member', at(3)))).to.equal('ALREADY_MEMBER');
      expect(await groups().membership(team.id, bob.id)).to.deep.equal({ groupId: team.id, userId: bob.id, role: 'member', joinedAt: at(2) });
      expect(await groups().membership(team.id, carol.id)).to.equal(undefined);
    });

    it('refuses a member of a group that does not exist, with no domain code', async () => {
      const error = await rejection(groups().addMember(4242, bob.id, 'member', at(1)));
      expect(error.message).to.match(/foreign key/i);
      expect(await groups().membership(4242, bob.id)).to.equal(undefined);
    });

    it('lists members owner first, then by the time they joined', async () => {
      const dave = await fixture.addUser('dave');
      const team = await groups().create({ name: 'team', creatorId: carol.id, createdAt: at(5) });
      await groups().addMember(team.id, dave.id, 'member', at(3));
      await groups().addMember(team.id, alice.id, 'member', at(9));
      await groups().addMember(team.id, bob.id, 'member', at(7));
      expect((await groups().members(team.id)).map((m) => [m.userId, m.role])).to.deep.equal([
        [carol.id, 'owner'],
        [dave.id, 'member'],
        [bob.id, 'member'],
        [alice.id, 'member'],
      ]);
    });

    it('removes a member, saying whether they were one', async () => {
      const team = await groups().create({ name: 'team', creatorId: alice.id, createdAt: at(1) });
      await groups().addMember(team.id, bob.id, 'member', at(2));
      expect(await groups().removeMember(team.id, bob.id)).to.equal(true);
      expect(await groups().removeMember(team.id, bob.id)).to.equal(false);
      expect(await groups().removeMember(team.id, carol.id)).to.equal(false);
      expect(await groups().membership(team.id, bob.id)).to.equal(undefined);
      expect((await groups().members(team.id)).map((m) => m.userId)).to.deep.equal([alice.id]);
    });

    it('summarises a user\'s groups by group id, with creator names and member counts', async () => {
      const solo = await groups().create({ name: 'solo', creatorId: alice.id, createdAt: at(1) });
      const team = await groups().create({ name: 'team', creatorId: bob.id, createdAt: at(2) });
      const other = await groups().create({ name: 'other', creatorId: carol.id, createdAt: at(3) });
      await groups().addMember(team.id, carol.id, 'member', at(4));
      await groups().addMember(team.id, alice.id, 'member', at(5));
      expect(await groups().groupsOf(alice.id)).to.deep.equal([
        { group: solo, creatorName: 'alice', memberCount: 1 },
        { group: team, creatorName: 'bob', memberCount: 3 },
      ]);
      expect((await groups().groupsOf(carol.id)).map((s) => s.group.name)).to.deep.equal(['team', 'other']);
      expect((await groups().all()).map((s) => [s.group.name, s.creatorName, s.memberCount])).to.deep.equal([
        ['solo', 'alice', 1],
        ['team', 'bob', 3],
        ['other', 'carol', 1],
      ]);
      expect(other.id).to.be.greaterThan(team.id);
    });

    it('summarises groups a page at a time, each after the group id the last page ended on', async () => {
      const made = [];
      for (const [i, name] of ['a', 'b', 'c', 'd', 'e'].entries()) made.push(await groups().create({ name, creatorId: i % 2 ? bob.id : carol.id, createdAt: at(i) }));
      for (const group of made.filter((_, i) => i !== 2)) await groups().addMember(group.id, alice.id, 'member', at(9));
      const ids = (summaries: { group: { id: number } }[]) => summaries.map((s) => s.group.id);
      const mine = [made[0]!.id, made[1]!.id, made[3]!.id, made[4]!.id];
      expect(ids(await groups().groupsOf(alice.id, { limit: 2 }))).to.deep.equal(mine.slice(0, 2));
      expect(ids(await groups().groupsOf(alice.id, { after: mine[1]!, limit: 2 }))).to.deep.equal(mine.slice(2));
      expect(await groups().groupsOf(alice.id, { after: mine[3]!, limit: 2 })).to.deep.equal([]);
      expect(await groups().all({ after: made[1]!.id, limit: 2 })).to.deep.equal([
        { group: made[2], creatorName: 'carol', memberCount: 1 },
        { group: made[3], creatorName: 'bob', memberCount: 2 },
      ]);
    });

    it('removes a group with all its memberships, and frees its name', async () => {
      const team = await groups().create({ name: 'team', creatorId: alice.id, createdAt: at(1) });
      await groups().addMember(team.id, bob.id, 'member', at(2));
      const kept = await groups().create({ name: 'kept', creatorId: bob.id, createdAt: at(3) });
      expect(await groups().remove(team.id)).to.equal(true);
      expect(await groups().remove(team.id)).to.equal(false);
      expect(await groups().byId(team.id)).to.equal(undefined);
      expect(await groups().members(team.id)).to.deep.equal([]);
      expect(await groups().membership(team.id, bob.id)).to.equal(undefined);
      expect((await groups().groupsOf(bob.id)).map((s) => s.group.id)).to.deep.equal([kept.id]);
      expect(await groups().countCreatedBy(alice.id)).to.equal(0);
      const again = await groups().create({ name: 'team', creatorId: alice.id, createdAt: at(4) });
      expect(again.id).to.be.greaterThan(kept.id);
    });

    it('keeps a ban with who and when, and lifts it', async () => {
      const team = await groups().create({ name: 'team', creatorId: alice.id, createdAt: at(1) });
      await groups().setBan(team.id, { by: bob.id, at: at(3) });
      expect((await groups().byId(team.id))!.ban).to.deep.equal({ by: bob.id, at: at(3) });
      expect((await groups().all())[0]!.group.ban).to.deep.equal({ by: bob.id, at: at(3) });
      await groups().setBan(team.id, { by: null, at: at(4) });
      expect((await groups().byName('team'))[0]!.ban).to.deep.equal({ by: null, at: at(4) });
      await groups().setBan(team.id, null);
      expect((await groups().byId(team.id))!.ban).to.equal(null);
    });

    it('hands out copies of groups and memberships', async () => {
      const team = await groups().create({ name: 'team', creatorId: alice.id, createdAt: at(1) });
      tamper(team).name = 'renamed';
      team.createdAt.setTime(0);
      const [membership] = await groups().members(team.id);
      tamper(membership!).role = 'member';
      const [summary] = await groups().all();
      tamper(summary!).memberCount = 99;
      tamper(summary!.group).creatorId = bob.id;
      expect(await groups().byId(team.id)).to.deep.equal({ id: team.id, name: 'team', creatorId: alice.id, ban: null, createdAt: at(1) });
      expect((await groups().membership(team.id, alice.id))!.role).to.equal('owner');
      expect((await groups().all())[0]!.memberCount).to.equal(1);
    });
  });
}
