import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStorage, parseStorageUrl } from '../../infrastructure/storage.js';
import type { Username } from '../../domain/index.js';
import { testSchema } from '../support/postgres.js';
import { describeStorageContract } from './storage.contract.js';

// The adapters themselves, caches off: the caches have their own tests (caching-repositories.test.ts).
describeStorageContract('in memory', () => openStorage('memory', { cacheCapacity: 0 }));

describeStorageContract('Knex on a SQLite file', async () => {
  const directory = mkdtempSync(join(tmpdir(), 'parley-storage-'));
  const storage = await openStorage(`sqlite:${join(directory, 'contract.sqlite')}`, { cacheCapacity: 0 });
  return {
    ...storage,
    close: async () => {
      await storage.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
});

describeStorageContract('Knex on PostgreSQL', async () => {
  const schema = await testSchema();
  const storage = await openStorage(schema.url, { cacheCapacity: 0 });
  return {
    ...storage,
    close: async () => {
      await storage.close();
      await schema.drop();
    },
  };
});

describe('storage URLs', () => {
  it('name a SQLite file after sqlite:, a PostgreSQL database by its postgres:// URL, or memory', () => {
    expect(parseStorageUrl('postgres://parley@db:5432/chat')).to.deep.equal({ kind: 'postgres', url: 'postgres://parley@db:5432/chat' });
    expect(parseStorageUrl('postgresql://db/chat')).to.deep.equal({ kind: 'postgres', url: 'postgresql://db/chat' });
    expect(parseStorageUrl('sqlite:data/chat.sqlite')).to.deep.equal({ kind: 'sqlite', filename: 'data/chat.sqlite' });
    expect(parseStorageUrl('sqlite:/var/lib/parley/chat.sqlite')).to.deep.equal({ kind: 'sqlite', filename: '/var/lib/parley/chat.sqlite' });
    expect(parseStorageUrl('sqlite::memory:')).to.deep.equal({ kind: 'sqlite', filename: ':memory:' });
    expect(parseStorageUrl('memory')).to.deep.equal({ kind: 'memory' });
  });

  it('refuse anything else with a message that says what works', () => {
    for (const raw of ['', 'sqlite:', 'mysql://db/chat', 'chat.sqlite', 'Memory', 'postgres:db/chat']) {
      expect(() => parseStorageUrl(raw), raw).to.throw(/use sqlite:<path>, postgres:\/\/user@host:port\/database or memory/);
    }
    for (const raw of ['postgres://', 'postgres://user@/chat', 'postgres://db:port/chat']) {
      expect(() => parseStorageUrl(raw), raw).to.throw(/bad PostgreSQL URL .*: use postgres:\/\/user\[:password\]@host\[:port\]\/database/);
    }
  });

  it('open a throwaway SQLite database with sqlite::memory:', async () => {
    const storage = await openStorage('sqlite::memory:');
    try {
      const alice = await storage.repositories.users.add({ username: 'alice' as Username, passwordHash: 'h', createdAt: new Date(0) });
      expect((await storage.repositories.users.byId(alice.id))?.username).to.equal('alice');
    } finally {
      await storage.close();
    }
  });
});

describe('a SQLite file shared by two server processes (several nodes on one machine)', () => {
  it('counts the queue quota in the database and answers nothing from memory when opened shared', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'parley-shared-'));
    const file = `sqlite:${join(directory, 'shared.sqlite')}`;
    const [a, b] = [await openStorage(file, { shared: true }), await openStorage(file, { shared: true })];
    try {
      expect(a.caches).to.equal(undefined);
      const alice = await a.repositories.users.add({ username: 'alice' as Username, passwordHash: 'h', createdAt: new Date(0) });
      const bob = await a.repositories.users.add({ username: 'bob' as Username, passwordHash: 'h', createdAt: new Date(0) });
      const send = (node: typeof a, text: string) =>
        node.repositories.messages.send({
          deliveries: [{ recipientId: bob.id, message: { kind: 'private', from: { id: alice.id, username: alice.username }, fromAdmin: false, text, sentAt: new Date(0) } }],
          maxQueued: 3,
          sentAt: new Date(0),
        });
      // Each node has seen bob's queue before the other fills it: counts kept in memory would let both overshoot.
      await send(a, 'a1');
      await send(b, 'b1');
      const rest = await Promise.all([send(a, 'a2'), send(b, 'b2'), send(a, 'a3'), send(b, 'b3')]);
      expect(rest.filter((receipt) => receipt.recipients === 1)).to.have.length(1);
      expect(await a.repositories.messages.countFor(bob.id)).to.equal(3);
      // A friendship made through one node is seen at once through the other.
      expect(await b.repositories.friendships.areFriends(alice.id, bob.id)).to.equal(false);
      await a.repositories.friendships.befriend(alice.id, bob.id, new Date(0));
      expect(await b.repositories.friendships.areFriends(alice.id, bob.id)).to.equal(true);
    } finally {
      await Promise.all([a.close(), b.close()]);
      rmSync(directory, { recursive: true, force: true });
    }
  });
});
