import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Repositories } from '../../application/ports/unit-of-work.js';
import type { User, Username } from '../../domain/index.js';
import type { RepositoryCaches } from '../../infrastructure/caching/caching-repositories.js';
import { cachingRepositories } from '../../infrastructure/caching/caching-repositories.js';
import { LookupCache } from '../../infrastructure/caching/lookup-cache.js';
import { openStorage, type Storage } from '../../infrastructure/storage.js';

/** Counts the reads that reach the adapter underneath, so a test can tell a cache hit from a miss. */
function countingReads(inner: Repositories): { repositories: Repositories; reads: () => number } {
  let reads = 0;
  const counted = <T extends object>(target: T, names: (keyof T)[]): T =>
    new Proxy(target, {
      get(object, property, receiver) {
        const value = Reflect.get(object, property, receiver) as unknown;
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          if (names.includes(property as keyof T)) reads++;
          return (value as (...a: unknown[]) => unknown).apply(object, args);
        };
      },
    });
  return {
    repositories: {
      ...inner,
      users: counted(inner.users, ['byId', 'byUsername', 'byTokenHash']),
      friendships: counted(inner.friendships, ['areFriends']),
      groups: counted(inner.groups, ['byId', 'membership', 'members']),
    },
    reads: () => reads,
  };
}

for (const backend of ['memory', 'sqlite'] as const) {
  describe(`the lookup caches, over ${backend}`, () => {
    let directory: string;
    let storage: Storage;
    let caches: RepositoryCaches;
    let repositories: Repositories;
    let reads: () => number;
    let alice: User;
    let bob: User;

    beforeEach(async () => {
      directory = mkdtempSync(join(tmpdir(), 'parley-cache-'));
      storage = await openStorage(backend === 'memory' ? 'memory' : `sqlite:${join(directory, 'cache.sqlite')}`);
      caches = storage.caches!;
      // The storage's own caches, over a counting view of its repositories.
      const inner = countingReads(storage.repositories);
      repositories = cachingRepositories(inner.repositories, caches);
      reads = inner.reads;
      const add = (username: string) => storage.repositories.users.add({ username: username as Username, passwordHash: 'h', createdAt: new Date(0) });
      [alice, bob] = [await add('alice'), await add('bob')];
    });

    afterEach(async () => {
      await storage.close();
      rmSync(directory, { recursive: true, force: true });
    });

    it('answers repeated hot lookups from memory', async () => {
      await repositories.users.setToken(alice.id, { hash: 'token-a', issuedAt: new Date(0) });
      await repositories.friendships.befriend(alice.id, bob.id, new Date(0));
      const lookups = () =>
        Promise.all([
          repositories.users.byTokenHash('token-a'),
          repositories.users.byUsername('bob' as Username),
          repositories.friendships.areFriends(alice.id, bob.id),
        ]);
      const first = await lookups();
      const before = reads();
      expect(await lookups()).to.deep.equal(first);
      expect(reads()).to.equal(before);
    });

    it('stops a token working at once when its user logs out or logs in again', async () => {
      await repositories.users.setToken(alice.id, { hash: 'first', issuedAt: new Date(0) });
      expect((await repositories.users.byTokenHash('first'))?.user.username).to.equal('alice');
      await storage.unitOfWork.run(({ users }) => users.setToken(alice.id, { hash: 'second', issuedAt: new Date(0) }));
      expect(await repositories.users.byTokenHash('first')).to.equal(undefined);
      expect((await repositories.users.byTokenHash('second'))?.user.username).to.equal('alice');
      await repositories.users.setToken(alice.id, null);
      expect(await repositories.users.byTokenHash('second')).to.equal(undefined);
    });

    it('shows a ban on the cached session at once', async () => {
      await repositories.users.setToken(alice.id, { hash: 'live', issuedAt: new Date(0) });
      expect((await repositories.users.byTokenHash('live'))?.user.ban).to.equal(null);
      await repositories.users.setBan(alice.id, { by: bob.id, at: new Date(5) });
      expect((await repositories.users.byTokenHash('live'))?.user.ban).to.deep.equal({ by: bob.id, at: new Date(5) });
      expect((await repositories.users.byId(alice.id))?.ban).to.deep.equal({ by: bob.id, at: new Date(5) });
    });

    it('sees a new friendship at once, though "not friends" was cached', async () => {
      expect(await repositories.friendships.areFriends(bob.id, alice.id)).to.equal(false);
      await storage.repositories.friendships.befriend(alice.id, bob.id, new Date(0));
      expect(await repositories.friendships.areFriends(bob.id, alice.id)).to.equal(true);
    });

    it('sees a kick from a group, made in a transaction, at once', async () => {
      const team = await storage.repositories.groups.create({ name: 'team', creatorId: alice.id, createdAt: new Date(0) });
      await storage.repositories.groups.addMember(team.id, bob.id, 'member', new Date(1));
      expect(await repositories.groups.membership(team.id, bob.id)).to.not.equal(undefined);
      expect((await repositories.groups.members(team.id)).map((m) => m.userId)).to.deep.equal([alice.id, bob.id]);
      await storage.unitOfWork.run(({ groups }) => groups.removeMember(team.id, bob.id));
      expect(await repositories.groups.membership(team.id, bob.id)).to.equal(undefined);
      expect((await repositories.groups.members(team.id)).map((m) => m.userId)).to.deep.equal([alice.id]);
    });

    it('forgets a deleted group and its members, and a ban on a group', async () => {
      const team = await storage.repositories.groups.create({ name: 'team', creatorId: alice.id, createdAt: new Date(0) });
      await repositories.groups.byId(team.id);
      await repositories.groups.members(team.id);
      await storage.repositories.groups.setBan(team.id, { by: bob.id, at: new Date(3) });
      expect((await repositories.groups.byId(team.id))?.ban).to.deep.equal({ by: bob.id, at: new Date(3) });
      await storage.repositories.groups.remove(team.id);
      expect(await repositories.groups.byId(team.id)).to.equal(undefined);
      expect(await repositories.groups.members(team.id)).to.deep.equal([]);
      expect(await repositories.groups.membership(team.id, alice.id)).to.equal(undefined);
    });

    it('forgets a removed user, and what the removal cascaded to: friendships, their groups, their memberships', async () => {
      await repositories.users.setToken(alice.id, { hash: 'live', issuedAt: new Date(0) });
      await storage.repositories.friendships.befriend(alice.id, bob.id, new Date(0));
      const hers = await storage.repositories.groups.create({ name: 'hers', creatorId: alice.id, createdAt: new Date(0) });
      const his = await storage.repositories.groups.create({ name: 'his', creatorId: bob.id, createdAt: new Date(0) });
      await storage.repositories.groups.addMember(his.id, alice.id, 'member', new Date(1));
      const lookups = async () => [
        (await repositories.users.byTokenHash('live'))?.user.username,
        (await repositories.users.byUsername('alice' as Username))?.username,
        await repositories.friendships.areFriends(bob.id, alice.id),
        (await repositories.groups.byId(hers.id))?.name,
        (await repositories.groups.membership(his.id, alice.id))?.role,
        (await repositories.groups.members(his.id)).length,
      ];
      expect(await lookups()).to.deep.equal(['alice', 'alice', true, 'hers', 'member', 2]);
      await storage.unitOfWork.run(({ users }) => users.remove(alice.id));
      expect(await lookups()).to.deep.equal([undefined, undefined, false, undefined, undefined, 1]);
    });

    it('drops what it holds of a user whenever a unit of work reads them from storage itself', async () => {
      expect((await repositories.users.byUsername('alice' as Username))?.isAdmin).to.equal(false);
      // As `chatctl promote` does from another process: past this process's caches.
      await storage.unitOfWork.run(async ({ users }) => {
        await users.setAdmin(alice.id, true);
        caches.users.fill(`${alice.id}`, { user: alice }, caches.users.mark());
      });
      caches.users.fill(`${alice.id}`, { user: alice }, caches.users.mark());
      expect((await repositories.users.byUsername('alice' as Username))?.isAdmin).to.equal(false);
      expect((await storage.unitOfWork.run(({ users }) => users.byUsername('alice' as Username)))?.isAdmin).to.equal(true);
      expect((await repositories.users.byUsername('alice' as Username))?.isAdmin).to.equal(true);
    });

    it('keeps nothing that was read before a write to it committed', async () => {
      await repositories.users.setToken(alice.id, { hash: 'old', issuedAt: new Date(0) });
      caches.forgetUser(alice.id);
      const slowRead = repositories.users.byTokenHash('old');
      await storage.repositories.users.setToken(alice.id, { hash: 'new', issuedAt: new Date(0) });
      await slowRead;
      expect(await repositories.users.byTokenHash('old')).to.equal(undefined);
    });
  });
}

describe('LookupCache', () => {
  it('holds at most its capacity, dropping the least recently used', async () => {
    const cache = new LookupCache<number>(2);
    const load = (value: number) => async () => value;
    await cache.get('a', load(1));
    await cache.get('b', load(2));
    await cache.get('a', load(-1));
    await cache.get('c', load(3));
    expect(cache.size).to.equal(2);
    expect(cache.peek('b')).to.equal(undefined);
    expect(cache.peek('a')?.value).to.equal(1);
  });

  it('never drops an entry that is hit while many others come and go', async () => {
    const cache = new LookupCache<number>(8);
    await cache.get('hot', async () => 0);
    for (let i = 1; i <= 100; i++) {
      await cache.get(`cold-${i}`, async () => i);
      expect(cache.peek('hot')?.value, `after ${i} others`).to.equal(0);
    }
    expect(cache.size).to.equal(8);
    expect(cache.peek('cold-92')).to.equal(undefined);
    expect(cache.peek('cold-100')?.value).to.equal(100);
  });

  it('does not keep a value read while an invalidation happened', async () => {
    const cache = new LookupCache<string>(10);
    let finish: (value: string) => void = () => {};
    const reading = cache.get('k', () => new Promise((resolve) => (finish = resolve)));
    cache.invalidate(['k']);
    finish('stale');
    expect(await reading).to.equal('stale');
    expect(cache.peek('k')).to.equal(undefined);
  });
});
