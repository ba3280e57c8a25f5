import { expect } from 'chai';
import type { Storage } from '../../infrastructure/storage.js';
import type { ChatMessage, User, Username } from '../../domain/index.js';
import { at, refusal, rejection, storageFixture, tamper } from './storage-fixture.js';

export function describeUserRepository(name: string, open: () => Promise<Storage>): void {
  describe(`UserRepository: ${name}`, () => {
    const fixture = storageFixture(open);
    const users = () => fixture.storage.repositories.users;

    it('adds users with fresh, growing ids and finds them by id and by name', async () => {
      const alice = await fixture.addUser('alice', 7);
      const bob = await fixture.addUser('bob');
      expect(bob.id).to.be.greaterThan(alice.id);
      expect(alice).to.deep.equal({ id: alice.id, username: 'alice', passwordHash: 'hash-alice', isAdmin: false, ban: null, createdAt: at(7) });
      expect(await users().byId(alice.id)).to.deep.equal(alice);
      expect(await users().byUsername('bob' as Username)).to.deep.equal(bob);
      expect(await users().byUsername('carol' as Username)).to.equal(undefined);
      expect(await users().byId(bob.id + 1000)).to.equal(undefined);
    });

    it('refuses a taken username with USERNAME_TAKEN and stores nothing', async () => {
      await fixture.addUser('alice');
      expect(await refusal(fixture.addUser('alice', 5))).to.equal('USERNAME_TAKEN');
      expect((await users().all()).map((u) => u.createdAt)).to.deep.equal([at(0)]);
    });

    it('finds a user by the hash of their current session token only, with when it was issued', async () => {
      const [alice, bob] = [await fixture.addUser('alice'), await fixture.addUser('bob')];
      expect(await users().byTokenHash('h1')).to.equal(undefined);
      await users().setToken(alice.id, { hash: 'h1', issuedAt: at(1) });
      await users().setToken(bob.id, { hash: 'h2', issuedAt: at(2) });
      expect(await users().byTokenHash('h1')).to.deep.equal({ user: alice, issuedAt: at(1) });
      await users().setToken(alice.id, { hash: 'h3', issuedAt: at(3) });
      expect(await users().byTokenHash('h1')).to.equal(undefined);
      expect(await users().byTokenHash('h3')).to.deep.equal({ user: alice, issuedAt: at(3) });
      await users().setToken(alice.id, null);
      expect(await users().byTokenHash('h3')).to.equal(undefined);
      expect((await users().byTokenHash('h2'))?.user.id).to.equal(bob.id);
    });

    it('lists every user ordered by id, whatever their names', async () => {
      for (const username of ['carol', 'alice', 'dave', 'bob']) await fixture.addUser(username);
      expect((await users().all()).map((u) => u.username)).to.deep.equal(['carol', 'alice', 'dave', 'bob']);
    });

    it('lists users a page at a time, each after the id the last page ended on', async () => {
      const added = [];
      for (const username of ['carol', 'alice', 'dave', 'bob', 'erin']) added.push(await fixture.addUser(username));
      const ids = added.map((u) => u.id);
      expect((await users().all({ limit: 2 })).map((u) => u.id)).to.deep.equal(ids.slice(0, 2));
      expect((await users().all({ after: ids[1]!, limit: 2 })).map((u) => u.id)).to.deep.equal(ids.slice(2, 4));
      expect((await users().all({ after: ids[3]!, limit: 2 })).map((u) => u.id)).to.deep.equal(ids.slice(4));
      expect(await users().all({ after: ids[4]!, limit: 2 })).to.deep.equal([]);
    });

    it('makes and unmakes admins', async () => {
      const [alice, bob] = [await fixture.addUser('alice'), await fixture.addUser('bob')];
      await users().setAdmin(alice.id, true);
      expect((await users().all()).map((u) => [u.username, u.isAdmin])).to.deep.equal([['alice', true], ['bob', false]]);
      await users().setAdmin(alice.id, false);
      expect((await users().byId(alice.id))!.isAdmin).to.equal(false);
      expect((await users().byId(bob.id))!.isAdmin).to.equal(false);
    });

    it('keeps a ban with who and when, or with nobody when set outside parley, and lifts it', async () => {
      const [alice, carol] = [await fixture.addUser('alice'), await fixture.addUser('carol')];
      await users().setBan(carol.id, { by: alice.id, at: at(5) });
      expect((await users().byUsername('carol' as Username))!.ban).to.deep.equal({ by: alice.id, at: at(5) });
      await users().setBan(carol.id, { by: null, at: at(6) });
      expect((await users().byId(carol.id))!.ban).to.deep.equal({ by: null, at: at(6) });
      await users().setBan(carol.id, null);
      expect((await users().byId(carol.id))!.ban).to.equal(null);
      expect((await users().byId(alice.id))!.ban).to.equal(null);
    });

    it('refuses a ban by a user who does not exist, with no domain code', async () => {
      const alice = await fixture.addUser('alice');
      const error = await rejection(users().setBan(alice.id, { by: alice.id + 1000, at: at(1) }));
      expect(error.message).to.match(/foreign key/i);
      expect((await users().byId(alice.id))!.ban).to.equal(null);
    });

    it('changes a password hash and nothing else', async () => {
      const [alice, bob] = [await fixture.addUser('alice'), await fixture.addUser('bob')];
      await users().setToken(alice.id, { hash: 'h1', issuedAt: at(1) });
      await users().setPasswordHash(alice.id, 'hash-new');
      expect(await users().byId(alice.id)).to.deep.equal({ ...alice, passwordHash: 'hash-new' });
      expect((await users().byTokenHash('h1'))?.user.passwordHash).to.equal('hash-new');
      expect(await users().byId(bob.id)).to.deep.equal(bob);
    });

    describe('removing a user', () => {
      const repos = () => fixture.storage.repositories;
      const from = (user: User): ChatMessage['from'] => ({ id: user.id, username: user.username });
      const privateFrom = (user: User, text: string): ChatMessage => ({ kind: 'private', from: from(user)!, fromAdmin: false, text, sentAt: at(1) });
      let alice: User;
      let bob: User;
      let carol: User;

      /** alice: a token, friends with bob, her group "mine" (bob in it), in bob's group "his", a queue, a login, a client message id, bans she made. */
      beforeEach(async () => {
        [alice, bob, carol] = [await fixture.addUser('alice'), await fixture.addUser('bob'), await fixture.addUser('carol')];
        await users().setToken(alice.id, { hash: 'h-alice', issuedAt: at(1) });
        await repos().friendships.befriend(alice.id, bob.id, at(1));
        await repos().friendships.befriend(bob.id, carol.id, at(1));
        const mine = await repos().groups.create({ name: 'mine', creatorId: alice.id, createdAt: at(1) });
        await repos().groups.addMember(mine.id, bob.id, 'member', at(2));
        const his = await repos().groups.create({ name: 'his', creatorId: bob.id, createdAt: at(1) });
        await repos().groups.addMember(his.id, alice.id, 'member', at(2));
        await repos().groups.addMember(his.id, carol.id, 'member', at(3));
        await repos().messages.enqueue([{ recipientId: alice.id, message: privateFrom(bob, 'for alice') }]);
        await repos().messages.send({
          deliveries: [
            { recipientId: bob.id, message: privateFrom(alice, 'from alice') },
            { recipientId: bob.id, message: { kind: 'group', from: from(alice)!, fromAdmin: false, group: { id: mine.id, name: 'mine', creator: alice.username }, text: 'to mine', sentAt: at(2) } },
          ],
          key: { senderId: alice.id, clientMsgId: 'c1' },
          maxQueued: 100,
          sentAt: at(2),
        });
        await repos().logins.record({ userId: alice.id, ip: '10.0.0.1', at: at(3) });
        await users().setBan(carol.id, { by: alice.id, at: at(4) });
        await repos().groups.setBan(his.id, { by: alice.id, at: at(4) });
      });

      it('removes the user, their session, friendships, memberships, owned groups, queue and login log', async () => {
        expect(await users().remove(alice.id)).to.equal(true);
        expect(await users().byId(alice.id)).to.equal(undefined);
        expect(await users().byUsername('alice' as Username)).to.equal(undefined);
        expect(await users().byTokenHash('h-alice')).to.equal(undefined);
        expect((await users().all()).map((u) => u.username)).to.deep.equal(['bob', 'carol']);
        expect((await repos().friendships.friendsOf(bob.id)).map((u) => u.username)).to.deep.equal(['carol']);
        expect(await repos().friendships.areFriends(bob.id, alice.id)).to.equal(false);
        expect(await repos().groups.byName('mine')).to.deep.equal([]);
        expect(await repos().groups.countCreatedBy(alice.id)).to.equal(0);
        const his = (await repos().groups.byName('his'))[0]!;
        expect((await repos().groups.members(his.id)).map((m) => m.userId)).to.deep.equal([bob.id, carol.id]);
        expect((await repos().groups.groupsOf(bob.id)).map((s) => [s.group.name, s.memberCount])).to.deep.equal([['his', 2]]);
        expect(await repos().messages.countFor(alice.id)).to.equal(0);
        expect(await repos().logins.recentFor(alice.id, 10)).to.deep.equal([]);
      });

      it('keeps what they sent waiting in others\' queues, under their name, and the bans they made, by nobody', async () => {
        await users().remove(alice.id);
        expect((await repos().messages.pendingFor(bob.id)).map(({ message }) => [message.from?.username, message.text])).to.deep.equal([
          ['alice', 'from alice'],
          ['alice', 'to mine'],
        ]);
        expect((await users().byId(carol.id))!.ban).to.deep.equal({ by: null, at: at(4) });
        expect((await repos().groups.byName('his'))[0]!.ban).to.deep.equal({ by: null, at: at(4) });
      });

      it('frees the username under a new id, and answers false for a user already gone', async () => {
        await users().remove(alice.id);
        expect(await users().remove(alice.id)).to.equal(false);
        const again = await fixture.addUser('alice');
        expect(again.id).to.be.greaterThan(carol.id);
        expect(await repos().friendships.friendsOf(again.id)).to.deep.equal([]);
        expect(await repos().groups.groupsOf(again.id)).to.deep.equal([]);
        expect(await repos().messages.countFor(again.id)).to.equal(0);
      });
    });

    it('hands out copies: changing one changes nothing stored, and later writes do not change it', async () => {
      const alice = await fixture.addUser('alice');
      tamper(alice).username = 'mallory' as Username;
      alice.createdAt.setTime(0);
      const found = (await users().byId(alice.id))!;
      expect(found.username).to.equal('alice');
      expect(found.createdAt).to.deep.equal(at(0));
      tamper(found).isAdmin = true;
      expect((await users().all())[0]!.isAdmin).to.equal(false);
      await users().setBan(found.id, { by: null, at: at(1) });
      expect(found.ban).to.equal(null);
    });
  });
}
