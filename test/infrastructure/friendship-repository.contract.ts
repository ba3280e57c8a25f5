import { expect } from 'chai';
import type { Storage } from '../../infrastructure/storage.js';
import type { Username } from '../../domain/index.js';
import { at, rejection, storageFixture, tamper } from './storage-fixture.js';

export function describeFriendshipRepository(name: string, open: () => Promise<Storage>): void {
  describe(`FriendshipRepository: ${name}`, () => {
    const fixture = storageFixture(open);
    const friendships = () => fixture.storage.repositories.friendships;

    it('makes friends both ways round from one call', async () => {
      const [alice, bob, carol] = [await fixture.addUser('alice'), await fixture.addUser('bob'), await fixture.addUser('carol')];
      expect(await friendships().areFriends(alice.id, bob.id)).to.equal(false);
      await friendships().befriend(alice.id, bob.id, at(1));
      expect(await friendships().areFriends(alice.id, bob.id)).to.equal(true);
      expect(await friendships().areFriends(bob.id, alice.id)).to.equal(true);
      expect(await friendships().areFriends(alice.id, carol.id)).to.equal(false);
      expect(await friendships().areFriends(carol.id, bob.id)).to.equal(false);
    });

    it('leaves an existing pair as it is, asked either way round', async () => {
      const [alice, bob] = [await fixture.addUser('alice'), await fixture.addUser('bob')];
      await friendships().befriend(alice.id, bob.id, at(1));
      await friendships().befriend(bob.id, alice.id, at(2));
      await friendships().befriend(alice.id, bob.id, at(3));
      expect(await friendships().friendsOf(alice.id)).to.deep.equal([bob]);
      expect(await friendships().friendsOf(bob.id)).to.deep.equal([alice]);
    });

    it('lists a user\'s friends ordered by id, and nobody else\'s', async () => {
      const [alice, dave, bob, carol] = [await fixture.addUser('alice'), await fixture.addUser('dave'), await fixture.addUser('bob'), await fixture.addUser('carol')];
      await friendships().befriend(alice.id, dave.id, at(1));
      await friendships().befriend(carol.id, alice.id, at(2));
      await friendships().befriend(bob.id, alice.id, at(3));
      await friendships().befriend(bob.id, dave.id, at(4));
      expect((await friendships().friendsOf(alice.id)).map((u) => u.username)).to.deep.equal(['dave', 'bob', 'carol']);
      expect((await friendships().friendsOf(dave.id)).map((u) => u.username)).to.deep.equal(['alice', 'bob']);
      expect(await friendships().friendsOf(carol.id)).to.deep.equal([alice]);
      expect(await friendships().friendsOf(alice.id + 1000)).to.deep.equal([]);
    });

    it('lists a user\'s friends a page at a time, each after the id the last page ended on', async () => {
      const alice = await fixture.addUser('alice');
      const friends = [];
      for (const name of ['erin', 'bob', 'dave', 'carol', 'frank']) friends.push(await fixture.addUser(name));
      await fixture.addUser('mallory');
      for (const friend of friends) await friendships().befriend(friend.id, alice.id, at(1));
      const ids = friends.map((u) => u.id);
      expect((await friendships().friendsOf(alice.id, { limit: 2 })).map((u) => u.id)).to.deep.equal(ids.slice(0, 2));
      expect((await friendships().friendsOf(alice.id, { after: ids[1]!, limit: 2 })).map((u) => u.id)).to.deep.equal(ids.slice(2, 4));
      expect(await friendships().friendsOf(alice.id, { after: ids[3]!, limit: 2 })).to.deep.equal([friends[4]]);
      expect(await friendships().friendsOf(alice.id, { after: ids[4]!, limit: 2 })).to.deep.equal([]);
    });

    it('refuses a friend who does not exist, writing neither direction', async () => {
      const alice = await fixture.addUser('alice');
      const error = await rejection(friendships().befriend(alice.id, alice.id + 1000, at(1)));
      expect(error.message).to.match(/foreign key/i);
      expect(await friendships().friendsOf(alice.id)).to.deep.equal([]);
    });

    it('hands out copies of the friends it lists', async () => {
      const [alice, bob] = [await fixture.addUser('alice'), await fixture.addUser('bob')];
      await friendships().befriend(alice.id, bob.id, at(1));
      const [friend] = await friendships().friendsOf(alice.id);
      tamper(friend!).username = 'mallory' as Username;
      expect((await friendships().friendsOf(alice.id))[0]!.username).to.equal('bob');
      expect((await fixture.storage.repositories.users.byId(bob.id))!.username).to.equal('bob');
    });
  });
}
