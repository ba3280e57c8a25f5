import { expect } from 'chai';
import type { Delivery } from '../../application/ports/message-queue.js';
import type { Storage } from '../../infrastructure/storage.js';
import { DomainError, type ChatMessage, type User, type Username } from '../../domain/index.js';

const at = (ms: number) => new Date(Date.UTC(2026, 10, 25) + ms);

async function refusal(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    expect(error).to.be.instanceOf(DomainError);
    return (error as DomainError).code;
  }
  return expect.fail('expected a refusal');
}

/** The behaviour every storage backend must share; called once per backend. */
export function describeStorageContract(name: string, open: () => Promise<Storage>): void {
  describe(`storage contract: ${name}`, () => {
    let storage: Storage;
    const addUser = (username: string, ms = 0) =>
      storage.repositories.users.add({ username: username as Username, passwordHash: `hash-${username}`, createdAt: at(ms) });

    beforeEach(async () => {
      storage = await open();
    });
    afterEach(() => storage.close());

    describe('users', () => {
      it('adds users with fresh ids and finds them by id, name and token hash', async () => {
        const alice = await addUser('alice');
        const bob = await addUser('bob');
        expect(bob.id).to.be.greaterThan(alice.id);
        expect(alice).to.deep.equal({ id: alice.id, username: 'alice', passwordHash: 'hash-alice', isAdmin: false, ban: null, createdAt: at(0) });
        expect(await storage.repositories.users.byId(alice.id)).to.deep.equal(alice);
        expect(await storage.repositories.users.byUsername('bob' as Username)).to.deep.equal(bob);
        expect(await storage.repositories.users.byUsername('carol' as Username)).to.equal(undefined);
        await storage.repositories.users.setTokenHash(alice.id, 'h1');
        expect((await storage.repositories.users.byTokenHash('h1'))?.id).to.equal(alice.id);
        await storage.repositories.users.setTokenHash(alice.id, null);
        expect(await storage.repositories.users.byTokenHash('h1')).to.equal(undefined);
      });

      it('refuses a taken username with USERNAME_TAKEN', async () => {
        await addUser('alice');
        expect(await refusal(addUser('alice'))).to.equal('USERNAME_TAKEN');
        expect(await storage.repositories.users.all()).to.have.length(1);
      });

      it('lists users by name, and keeps admin flags and bans with who and when', async () => {
        const carol = await addUser('carol');
        const alice = await addUser('alice');
        await storage.repositories.users.setAdmin(alice.id, true);
        await storage.repositories.users.setBan(carol.id, { by: alice.id, at: at(5) });
        const all = await storage.repositories.users.all();
        expect(all.map((u) => [u.username, u.isAdmin, u.ban])).to.deep.equal([
          ['alice', true, null],
          ['carol', false, { by: alice.id, at: at(5) }],
        ]);
        await storage.repositories.users.setBan(carol.id, null);
        expect((await storage.repositories.users.byId(carol.id))!.ban).to.equal(null);
      });

      it('hands out records that later writes do not change', async () => {
        const alice = await addUser('alice');
        const before = await storage.repositories.users.byId(alice.id);
        await storage.repositories.users.setAdmin(alice.id, true);
        expect(before!.isAdmin).to.equal(false);
      });
    });

    describe('friendships', () => {
      it('are mutual, idempotent and listed by name', async () => {
        const [alice, bob, carol] = [await addUser('alice'), await addUser('bob'), await addUser('carol')];
        await storage.repositories.friendships.befriend(alice.id, carol.id, at(1));
        await storage.repositories.friendships.befriend(bob.id, alice.id, at(2));
        await storage.repositories.friendships.befriend(alice.id, bob.id, at(3));
        expect(await storage.repositories.friendships.areFriends(carol.id, alice.id)).to.equal(true);
        expect(await storage.repositories.friendships.areFriends(bob.id, carol.id)).to.equal(false);
        expect((await storage.repositories.friendships.friendsOf(alice.id)).map((u) => u.username)).to.deep.equal(['bob', 'carol']);
        expect((await storage.repositories.friendships.friendsOf(bob.id)).map((u) => u.username)).to.deep.equal(['alice']);
      });
    });

    describe('groups', () => {
      let alice: User;
      let bob: User;
      beforeEach(async () => {
        [alice, bob] = [await addUser('alice'), await addUser('bob')];
      });

      it('are created with their creator as owner, unique by name plus creator', async () => {
        const team = await storage.repositories.groups.create({ name: 'team', creatorId: alice.id, createdAt: at(1) });
        expect(team).to.deep.equal({ id: team.id, name: 'team', creatorId: alice.id, ban: null, createdAt: at(1) });
        expect(await storage.repositories.groups.membership(team.id, alice.id)).to.deep.equal({ groupId: team.id, userId: alice.id, role: 'owner', joinedAt: at(1) });
        expect(await refusal(storage.repositories.groups.create({ name: 'team', creatorId: alice.id, createdAt: at(2) }))).to.equal('GROUP_EXISTS');
        const other = await storage.repositories.groups.create({ name: 'team', creatorId: bob.id, createdAt: at(3) });
        expect((await storage.repositories.groups.byName('team')).map((g) => g.id)).to.deep.equal([team.id, other.id]);
        expect(await storage.repositories.groups.countCreatedBy(alice.id)).to.equal(1);
      });

      it('take members once, list the owner first, and summarise counts and creators', async () => {
        const carol = await addUser('carol');
        const team = await storage.repositories.groups.create({ name: 'team', creatorId: bob.id, createdAt: at(1) });
        await storage.repositories.groups.addMember(team.id, carol.id, 'member', at(3));
        await storage.repositories.groups.addMember(team.id, alice.id, 'member', at(2));
        expect(await refusal(storage.repositories.groups.addMember(team.id, alice.id, 'member', at(4)))).to.equal('ALREADY_MEMBER');
        expect((await storage.repositories.groups.members(team.id)).map((m) => [m.userId, m.role])).to.deep.equal([
          [bob.id, 'owner'],
          [alice.id, 'member'],
          [carol.id, 'member'],
        ]);
        const solo = await storage.repositories.groups.create({ name: 'solo', creatorId: alice.id, createdAt: at(5) });
        expect((await storage.repositories.groups.groupsOf(alice.id)).map((s) => [s.group.name, s.creatorName, s.memberCount])).to.deep.equal([
          ['team', 'bob', 3],
          ['solo', 'alice', 1],
        ]);
        expect((await storage.repositories.groups.all()).map((s) => s.group.id)).to.deep.equal([team.id, solo.id]);
        expect(await storage.repositories.groups.removeMember(team.id, carol.id)).to.equal(true);
        expect(await storage.repositories.groups.removeMember(team.id, carol.id)).to.equal(false);
        expect(await storage.repositories.groups.membership(team.id, carol.id)).to.equal(undefined);
      });

      it('take their memberships with them when removed, and keep bans', async () => {
        const team = await storage.repositories.groups.create({ name: 'team', creatorId: alice.id, createdAt: at(1) });
        await storage.repositories.groups.addMember(team.id, bob.id, 'member', at(2));
        await storage.repositories.groups.setBan(team.id, { by: bob.id, at: at(3) });
        expect((await storage.repositories.groups.byId(team.id))!.ban).to.deep.equal({ by: bob.id, at: at(3) });
        expect(await storage.repositories.groups.remove(team.id)).to.equal(true);
        expect(await storage.repositories.groups.remove(team.id)).to.equal(false);
        expect(await storage.repositories.groups.byId(team.id)).to.equal(undefined);
        expect(await storage.repositories.groups.members(team.id)).to.deep.equal([]);
        expect(await storage.repositories.groups.groupsOf(bob.id)).to.deep.equal([]);
      });
    });

    describe('the message queue', () => {
      let alice: User;
      let bob: User;
      const privateFrom = (user: User, text: string, ms = 0): ChatMessage => ({
        kind: 'private',
        from: { id: user.id, username: user.username },
        fromAdmin: false,
        text,
        sentAt: at(ms),
      });
      beforeEach(async () => {
        [alice, bob] = [await addUser('alice'), await addUser('bob')];
      });

      it('gives back every kind of message as it was queued, emoji and all', async () => {
        const team = await storage.repositories.groups.create({ name: 'team 🚀', creatorId: alice.id, createdAt: at(0) });
        const group = { id: team.id, name: team.name, creator: alice.username };
        const messages: ChatMessage[] = [
          privateFrom(alice, 'hi 👋\nsecond line', 1),
          { kind: 'group', from: { id: alice.id, username: alice.username }, fromAdmin: true, group, text: 'to all', sentAt: at(2) },
          { kind: 'notice', topic: 'group-invited', from: { id: alice.id, username: alice.username }, group, text: 'alice added you to team', sentAt: at(3) },
          { kind: 'notice', topic: 'friend-added', from: null, group: null, text: 'system notice', sentAt: at(4) },
        ];
        const queued = await storage.repositories.messages.enqueue(messages.map((message) => ({ recipientId: bob.id, message })));
        expect(queued.map((q) => q.message)).to.deep.equal(messages);
        expect(await storage.repositories.messages.pendingFor(bob.id)).to.deep.equal(queued);
      });

      it('keeps a notice about a deleted group', async () => {
        const team = await storage.repositories.groups.create({ name: 'team', creatorId: alice.id, createdAt: at(0) });
        const message: ChatMessage = {
          kind: 'notice',
          topic: 'group-deleted',
          from: { id: alice.id, username: alice.username },
          group: { id: team.id, name: 'team', creator: alice.username },
          text: 'alice deleted team',
          sentAt: at(1),
        };
        await storage.repositories.messages.enqueue([{ recipientId: bob.id, message }]);
        await storage.repositories.groups.remove(team.id);
        expect((await storage.repositories.messages.pendingFor(bob.id)).map((q) => q.message)).to.deep.equal([message]);
      });

      it('queues a thousand deliveries in one call, ids ascending in the order given', async () => {
        const deliveries: Delivery[] = Array.from({ length: 1000 }, (_, i) => ({
          recipientId: i % 2 ? alice.id : bob.id,
          message: privateFrom(i % 2 ? bob : alice, `m${i}`, i),
        }));
        const queued = await storage.repositories.messages.enqueue(deliveries);
        expect(queued.map((q) => q.message.text)).to.deep.equal(deliveries.map((d) => d.message.text));
        expect(queued.map((q) => q.id)).to.deep.equal([...queued.map((q) => q.id)].sort((a, b) => a - b));
        expect(new Set(queued.map((q) => q.id)).size).to.equal(1000);
        expect(await storage.repositories.messages.countFor(bob.id)).to.equal(500);
      });

      it('lists what waits oldest first, after a cursor and up to a limit', async () => {
        const queued = await storage.repositories.messages.enqueue(['a', 'b', 'c', 'd'].map((text) => ({ recipientId: bob.id, message: privateFrom(alice, text) })));
        await storage.repositories.messages.enqueue([{ recipientId: alice.id, message: privateFrom(bob, 'not yours') }]);
        const texts = async (options?: { after?: number; limit?: number }) =>
          (await storage.repositories.messages.pendingFor(bob.id, options)).map((q) => q.message.text);
        expect(await texts()).to.deep.equal(['a', 'b', 'c', 'd']);
        expect(await texts({ after: queued[1]!.id })).to.deep.equal(['c', 'd']);
        expect(await texts({ limit: 3 })).to.deep.equal(['a', 'b', 'c']);
        expect(await texts({ after: queued[0]!.id, limit: 2 })).to.deep.equal(['b', 'c']);
      });

      it('acknowledges only the recipient\'s own ids, ignoring unknown and others\'', async () => {
        const [m1, m2] = await storage.repositories.messages.enqueue([
          { recipientId: bob.id, message: privateFrom(alice, 'one') },
          { recipientId: bob.id, message: privateFrom(alice, 'two') },
        ]);
        const [forAlice] = await storage.repositories.messages.enqueue([{ recipientId: alice.id, message: privateFrom(bob, 'mine') }]);
        expect(await storage.repositories.messages.acknowledge(bob.id, [m2!.id, forAlice!.id, 999_999, m2!.id])).to.deep.equal([m2!.id]);
        expect(await storage.repositories.messages.acknowledge(bob.id, [m2!.id])).to.deep.equal([]);
        expect((await storage.repositories.messages.pendingFor(bob.id)).map((q) => q.id)).to.deep.equal([m1!.id]);
        expect(await storage.repositories.messages.countFor(alice.id)).to.equal(1);
      });

      it('never reuses an id after acknowledgement', async () => {
        const [first] = await storage.repositories.messages.enqueue([{ recipientId: bob.id, message: privateFrom(alice, 'one') }]);
        await storage.repositories.messages.acknowledge(bob.id, [first!.id]);
        const [second] = await storage.repositories.messages.enqueue([{ recipientId: bob.id, message: privateFrom(alice, 'two') }]);
        expect(second!.id).to.be.greaterThan(first!.id);
      });
    });

    describe('the login log', () => {
      it('lists a user\'s logins newest first', async () => {
        const [alice, bob] = [await addUser('alice'), await addUser('bob')];
        await storage.repositories.logins.record({ userId: alice.id, ip: '10.0.0.1', at: at(1) });
        await storage.repositories.logins.record({ userId: bob.id, ip: '10.0.0.2', at: at(2) });
        await storage.repositories.logins.record({ userId: alice.id, ip: '::1', at: at(3) });
        expect(await storage.repositories.logins.recentFor(alice.id, 10)).to.deep.equal([
          { userId: alice.id, ip: '::1', at: at(3) },
          { userId: alice.id, ip: '10.0.0.1', at: at(1) },
        ]);
        expect(await storage.repositories.logins.recentFor(alice.id, 1)).to.have.length(1);
      });
    });

    describe('the unit of work', () => {
      it('keeps everything a unit wrote when it succeeds', async () => {
        await storage.unitOfWork.run(async ({ users, groups }) => {
          const alice = await users.add({ username: 'alice' as Username, passwordHash: 'h', createdAt: at(0) });
          await groups.create({ name: 'team', creatorId: alice.id, createdAt: at(0) });
        });
        expect(await storage.repositories.groups.byName('team')).to.have.length(1);
      });

      it('keeps nothing a unit wrote when it throws', async () => {
        const failure = storage.unitOfWork.run(async ({ users, groups }) => {
          const alice = await users.add({ username: 'alice' as Username, passwordHash: 'h', createdAt: at(0) });
          await groups.create({ name: 'team', creatorId: alice.id, createdAt: at(0) });
          throw new Error('half-way');
        });
        await failure.catch((error: Error) => expect(error.message).to.equal('half-way'));
        expect(await storage.repositories.users.all()).to.deep.equal([]);
        expect(await storage.repositories.groups.byName('team')).to.deep.equal([]);
      });
    });
  });
}
