import { expect } from 'chai';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Repositories } from '../../application/ports/unit-of-work.js';
import type { Storage } from '../../infrastructure/storage.js';
import type { Username } from '../../domain/index.js';
import { at, rejection, storageFixture } from './storage-fixture.js';

export function describeUnitOfWork(name: string, open: () => Promise<Storage>): void {
  describe(`UnitOfWork: ${name}`, () => {
    const fixture = storageFixture(open);
    const run = <T>(work: (repositories: Repositories) => Promise<T>) => fixture.storage.unitOfWork.run(work);
    const newUser = (username: string) => ({ username: username as Username, passwordHash: 'h', createdAt: at(0) });

    it('keeps everything a unit wrote when it resolves, and resolves with its result', async () => {
      const result = await run(async ({ users, groups, logins }) => {
        const alice = await users.add(newUser('alice'));
        await logins.record({ userId: alice.id, ip: '::1', at: at(1) });
        return groups.create({ name: 'team', creatorId: alice.id, createdAt: at(2) });
      });
      expect(await fixture.storage.repositories.groups.byName('team')).to.deep.equal([result]);
      expect((await fixture.storage.repositories.groups.members(result.id)).map((m) => m.role)).to.deep.equal(['owner']);
      expect(await fixture.storage.repositories.logins.recentFor(result.creatorId, 5)).to.have.length(1);
    });

    it('keeps nothing a unit wrote when it throws, and rejects with its error', async () => {
      const bob = await fixture.addUser('bob');
      const [waiting] = await fixture.storage.repositories.messages.enqueue([
        { recipientId: bob.id, message: { kind: 'notice', topic: 'friend-added', from: null, group: null, text: 'hi', sentAt: at(0) } },
      ]);
      const failure = new Error('half-way');
      const error = await rejection(
        run(async ({ users, groups, messages, friendships }) => {
          const alice = await users.add(newUser('alice'));
          const team = await groups.create({ name: 'team', creatorId: alice.id, createdAt: at(0) });
          await groups.addMember(team.id, bob.id, 'member', at(1));
          await friendships.befriend(alice.id, bob.id, at(1));
          await messages.acknowledge(bob.id, [waiting!.id]);
          await users.setAdmin(bob.id, true);
          throw failure;
        }),
      );
      expect(error).to.equal(failure);
      const { users, groups, messages, friendships } = fixture.storage.repositories;
      expect((await users.all()).map((u) => [u.username, u.isAdmin])).to.deep.equal([['bob', false]]);
      expect(await groups.all()).to.deep.equal([]);
      expect(await groups.groupsOf(bob.id)).to.deep.equal([]);
      expect(await friendships.friendsOf(bob.id)).to.deep.equal([]);
      expect(await messages.pendingFor(bob.id)).to.deep.equal([waiting]);
    });

    it('rolls back when a refusal inside the unit is not caught', async () => {
      await fixture.addUser('alice');
      const error = await rejection(
        run(async ({ users }) => {
          await users.add(newUser('bob'));
          await users.add(newUser('alice'));
        }),
      );
      expect(error).to.have.property('code', 'USERNAME_TAKEN');
      expect((await fixture.storage.repositories.users.all()).map((u) => u.username)).to.deep.equal(['alice']);
    });

    it('runs one unit at a time: a second unit sees all of the first or none of it', async () => {
      const first = run(async ({ users }) => {
        await users.add(newUser('alice'));
        await sleep(30);
        await users.add(newUser('bob'));
      });
      const seen = run(async ({ users }) => (await users.all()).map((u) => u.username));
      await first;
      // SQLite and memory run the second after the first (all); PostgreSQL side by side, from a snapshot (none).
      expect([[], ['alice', 'bob']]).to.deep.include(await seen);
    });

    it('makes calls outside units wait for the unit under way, so its rollback cannot undo them', async () => {
      const failing = run(async ({ users }) => {
        await users.add(newUser('alice'));
        await sleep(30);
        throw new Error('late failure');
      });
      const outside = fixture.storage.repositories.users.add(newUser('bob'));
      await rejection(failing);
      const bob = await outside;
      expect((await fixture.storage.repositories.users.all()).map((u) => u.username)).to.deep.equal(['bob']);
      expect((await fixture.storage.repositories.users.byId(bob.id))?.username).to.equal('bob');
    });

    it('refuses the repositories of a unit that has ended', async () => {
      let leaked: Repositories | undefined;
      await run(async (repositories) => {
        leaked = repositories;
      });
      await rejection(leaked!.users.add(newUser('alice')));
      expect(await fixture.storage.repositories.users.all()).to.deep.equal([]);
    });
  });
}
