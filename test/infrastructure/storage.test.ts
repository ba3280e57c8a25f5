import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openSqliteDatabase } from '../../infrastructure/knex/knex-database.js';
import { openStorage, parseStorageUrl, type Storage } from '../../infrastructure/storage.js';
import type { User, Username } from '../../domain/index.js';
import { testSchema } from '../support/postgres.js';
import { releaseTogether, runScript, temporaryDirectory } from '../support/processes.js';
import { describeStorageContract } from './storage.contract.js';

/** Another server process opening a SQLite file when told to. */
const OPENER = fileURLToPath(new URL('../support/open-storage-node.js', import.meta.url));
/** Another server process's queue on the same SQLite file. */
const WRITER = fileURLToPath(new URL('../support/queue-writer-node.js', import.meta.url));
/** Another server process's units of work on the same SQLite file. */
const UNITS = fileURLToPath(new URL('../support/unit-of-work-node.js', import.meta.url));

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
  /** A new SQLite file in a directory of its own, opened shared, with `names` as users; closed and removed after `body`. */
  const onSharedFile = async (names: readonly string[], body: (file: string, storage: Storage, users: User[]) => Promise<void>) => {
    const directory = temporaryDirectory();
    const file = join(directory.path, 'shared.sqlite');
    const storage = await openStorage(`sqlite:${file}`, { shared: true });
    try {
      const users: User[] = [];
      for (const name of names) users.push(await storage.repositories.users.add({ username: name as Username, passwordHash: 'h', createdAt: new Date(0) }));
      await body(file, storage, users);
    } finally {
      await storage.close();
      directory.remove();
    }
  };

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

  it('opens a new file from several processes started together, migrating it once', async () => {
    const directory = temporaryDirectory();
    const file = join(directory.path, 'new.sqlite');
    try {
      const { exits, nodes } = await releaseTogether(OPENER, Array.from({ length: 4 }, () => [file]), 30_000);
      expect(exits, nodes.map((node) => node.stderr.seen.join(' ')).join(' | ')).to.deep.equal([0, 0, 0, 0]);
      const look = await openSqliteDatabase(file);
      const counts = [await look('knex_migrations_lock').count({ n: '*' }), await look('knex_migrations').count({ n: '*' }).groupBy('name').having(look.raw('count(*) > 1'))];
      await look.destroy();
      expect(counts, 'one lock row, each migration recorded once').to.deep.equal([[{ n: 1 }], []]);
    } finally {
      directory.remove();
    }
  });

  it('commits every unit of work of two processes that read, then write, at once', () =>
    onSharedFile(['alice', 'bob'], async (file) => {
      const rounds = 200;
      // A unit of work that began deferred and read could not take the write lock once the
      // other process had committed since: SQLite failed it at once (SQLITE_BUSY), as TRY_AGAIN.
      const { exits, nodes } = await releaseTogether(UNITS, ['alice', 'bob'].map((name) => [file, name, String(rounds)]), 60_000);
      expect(exits, nodes.map((node) => node.stderr.seen.join(' ')).join(' | ')).to.deep.equal([0, 0]);
      const outcomes = nodes.map((node) => JSON.parse(node.stdout.seen.filter((line) => line.startsWith('{')).join('')) as { done: number; errors: string[] });
      expect(outcomes.flatMap((outcome) => outcome.errors.slice(0, 3))).to.deep.equal([]);
      expect(outcomes.map((outcome) => outcome.done)).to.deep.equal([rounds, rounds]);
    }));

  it('takes every send and acknowledgement of two processes writing at once, and gives no id twice', () =>
    onSharedFile(['alice', 'bob', 'carol', 'dave'], async (file, storage, users) => {
      const [alice, bob, carol, dave] = users.map((user) => user.id) as [number, number, number, number];
      const team = await storage.repositories.groups.create({ name: 'team', creatorId: alice, createdAt: new Date(0) });
      const rounds = 100;
      // Each reads before it writes (the sequence, the sender's earlier sends, the cursors): a
      // commit that did not take the write lock first failed at once whenever the other process
      // had committed since its first read.
      const writers = await Promise.all(
        [alice, bob].map(async (sender) => {
          const others = [alice, bob, carol, dave].filter((id) => id !== sender);
          const writer = runScript(WRITER, [file, String(rounds), '1', String(sender), String(team.id), ...others.map(String)]);
          expect(await writer.exited(60_000), writer.stderr.seen.join('\n')).to.equal(0);
          return JSON.parse(writer.stdout.seen.join('')) as { ids: number[]; errors: string[] };
        }),
      );
      expect(writers.flatMap((writer) => writer.errors)).to.deep.equal([]);
      const ids = writers.flatMap((writer) => writer.ids);
      expect(ids, 'a private message and a group message to three, each round').to.have.length(2 * rounds * 4);
      expect(new Set(ids).size).to.equal(ids.length);
      const waiting = await Promise.all([alice, bob, carol, dave].map((id) => storage.repositories.messages.pendingFor(id)));
      expect(await storage.repositories.messages.countAll()).to.equal(waiting.flat().length);
    }));
});
