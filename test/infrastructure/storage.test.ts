import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStorage, parseStorageUrl } from '../../infrastructure/storage.js';
import type { Username } from '../../domain/index.js';
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

describe('storage URLs', () => {
  it('name a SQLite file after sqlite:, or memory', () => {
    expect(parseStorageUrl('sqlite:data/chat.sqlite')).to.deep.equal({ kind: 'sqlite', filename: 'data/chat.sqlite' });
    expect(parseStorageUrl('sqlite:/var/lib/parley/chat.sqlite')).to.deep.equal({ kind: 'sqlite', filename: '/var/lib/parley/chat.sqlite' });
    expect(parseStorageUrl('sqlite::memory:')).to.deep.equal({ kind: 'sqlite', filename: ':memory:' });
    expect(parseStorageUrl('memory')).to.deep.equal({ kind: 'memory' });
  });

  it('refuse anything else with a message that says what works', () => {
    for (const raw of ['', 'sqlite:', 'mysql://db/chat', 'chat.sqlite', 'Memory']) {
      expect(() => parseStorageUrl(raw), raw).to.throw(/use sqlite:<path> or memory/);
    }
    expect(() => parseStorageUrl('postgres://localhost/parley')).to.throw(/PostgreSQL storage is planned but not supported yet/);
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
