import { expect } from 'chai';
import type { MessageSend } from '../../application/ports/message-queue.js';
import { StorageError } from '../../application/ports/storage-error.js';
import { openPostgresDatabase } from '../../infrastructure/knex/knex-database.js';
import { migrationSource } from '../../infrastructure/knex/migration-source.js';
import { knexQueueBatchWriter, type QueueBatchResult } from '../../infrastructure/knex/group-commit-message-queue.js';
import { knexRepositories } from '../../infrastructure/knex/knex-unit-of-work.js';
import { openStorage, type Storage } from '../../infrastructure/storage.js';
import type { ChatMessage, DomainError, User, Username } from '../../domain/index.js';
import { onTestPostgres, Outage, testSchema, type TestSchema } from '../support/postgres.js';
import { eventually } from '../support/world.js';
import { at } from './storage-fixture.js';

const privateFrom = (user: User, text: string): ChatMessage => ({ kind: 'private', from: { id: user.id, username: user.username }, fromAdmin: false, text, sentAt: at(0) });
const addUser = (storage: Storage, name: string) => storage.repositories.users.add({ username: name as Username, passwordHash: 'h', createdAt: at(0) });

describe('the PostgreSQL schema', () => {
  it('has the six seed tables and the client message ids, with their columns, keys, indexes and foreign keys', async () => {
    const schema = await testSchema();
    try {
      const storage = await openStorage(schema.url);
      await storage.close();
      const { columns, keys, foreignKeys } = await onTestPostgres(async (client) => ({
        columns: (await client.query<{ table: string; columns: string[] }>(
          `select table_name as table, array_agg(column_name::text order by ordinal_position) as columns from information_schema.columns
           where table_schema = $1 and table_name not like 'knex%' group by table_name order by table_name`,
          [schema.name],
        )).rows,
        keys: (await client.query<{ key: string }>(
          `select t.relname || ': ' || string_agg(a.attname, ',' order by k.n) || case when i.indisunique then ' (unique)' else '' end as key
           from pg_index i join pg_class t on t.oid = i.indrelid join pg_namespace s on s.oid = t.relnamespace
           cross join unnest(i.indkey) with ordinality as k(attnum, n) join pg_attribute a on a.attrelid = t.oid and a.attnum = k.attnum
           where s.nspname = $1 and t.relname not like 'knex%' group by i.indexrelid, t.relname, i.indisunique order by 1`,
          [schema.name],
        )).rows.map((row) => row.key),
        foreignKeys: (await client.query<{ table: string; count: string }>(
          `select table_name as table, count(*) from information_schema.table_constraints
           where table_schema = $1 and constraint_type = 'FOREIGN KEY' group by table_name order by table_name`,
          [schema.name],
        )).rows.map((row) => `${row.table}: ${row.count}`),
      }));
      expect(columns).to.deep.equal([
        { table: 'client_message_ids', columns: ['sender_id', 'client_msg_id', 'message_id', 'recipients', 'full', 'sent_at'] },
        { table: 'group_members', columns: ['group_id', 'user_id', 'role', 'joined_at'] },
        { table: 'groups', columns: ['id', 'name', 'creator_id', 'banned_by', 'banned_at', 'created_at'] },
        { table: 'offline_messages', columns: ['id', 'recipient_id', 'kind', 'sender_id', 'group_id', 'body', 'payload', 'created_at'] },
        { table: 'user_friends', columns: ['user_id', 'friend_id', 'created_at'] },
        { table: 'user_login_log', columns: ['id', 'user_id', 'ip', 'logged_in_at'] },
        { table: 'users', columns: ['id', 'username', 'password_hash', 'is_admin', 'token_hash', 'banned_by', 'banned_at', 'created_at', 'token_issued_at'] },
      ]);
      expect(keys).to.deep.equal([
        'client_message_ids: sender_id,client_msg_id (unique)',
        'group_members: group_id,user_id (unique)',
        'group_members: user_id',
        'groups: creator_id',
        'groups: id (unique)',
        'groups: name,creator_id (unique)',
        'offline_messages: id (unique)',
        'offline_messages: recipient_id,id',
        'user_friends: friend_id',
        'user_friends: user_id,friend_id (unique)',
        'user_login_log: id (unique)',
        'user_login_log: user_id,logged_in_at',
        'users: id (unique)',
        'users: token_hash (unique)',
        'users: username (unique)',
      ]);
      expect(foreignKeys).to.deep.equal(['client_message_ids: 1', 'group_members: 2', 'groups: 2', 'user_friends: 2', 'user_login_log: 1', 'users: 1']);
    } finally {
      await schema.drop();
    }
  });
});

describe('the PostgreSQL migrations', () => {
  it('0004 and 0005 drop the queue\'s foreign keys, and put them back on the way down', async () => {
    const schema = await testSchema();
    const db = await openPostgresDatabase(schema.url);
    try {
      const queueKeys = async () =>
        ((await db.raw(
          `select kcu.column_name as column from information_schema.table_constraints tc join information_schema.key_column_usage kcu
           on kcu.constraint_name = tc.constraint_name and kcu.table_schema = tc.table_schema
           where tc.table_schema = ? and tc.table_name = 'offline_messages' and tc.constraint_type = 'FOREIGN KEY' order by 1`,
          [schema.name],
        )) as { rows: { column: string }[] }).rows.map((row) => row.column);
      expect(await queueKeys()).to.deep.equal([]);
      await db('users').insert([
        { id: 1, username: 'alice', password_hash: 'h', created_at: 0 },
        { id: 2, username: 'bob', password_hash: 'h', created_at: 0 },
      ]);
      await db('offline_messages').insert([
        { recipient_id: 2, kind: 'private', sender_id: 1, body: 'hi', payload: '{}', created_at: 0 },
        { recipient_id: 99, kind: 'private', sender_id: 1, body: 'to nobody', payload: '{}', created_at: 0 },
      ]);
      await db('users').where({ id: 1 }).del();
      // 0005 puts the recipient's key back, dropping the row for a recipient who is gone; 0004 the sender's and group's.
      await db.migrate.down({ migrationSource, name: '0005-queue-recipient-check' });
      expect(await queueKeys()).to.deep.equal(['recipient_id']);
      expect(await db('offline_messages').pluck('body')).to.deep.equal(['hi']);
      await db.migrate.down({ migrationSource, name: '0004-queue-references' });
      expect(await queueKeys()).to.deep.equal(['group_id', 'recipient_id', 'sender_id']);
      expect(await db('offline_messages').pluck('sender_id')).to.deep.equal([null]);
      await db.migrate.latest({ migrationSource });
      expect(await queueKeys()).to.deep.equal([]);
      // Without the key, the user repository deletes a removed user's queue itself.
      await knexRepositories(db).users.remove(2);
      expect(await db('offline_messages').count({ n: '*' })).to.deep.equal([{ n: '0' }]);
    } finally {
      await db.destroy();
      await schema.drop();
    }
  });
});

describe('PostgreSQL message ids past 2^31 − 1', () => {
  it('stores, repeats, replays and acknowledges deliveries whose ids a 32-bit column could not hold', async () => {
    const schema = await testSchema();
    const storage = await openStorage(schema.url);
    try {
      const [alice, bob] = [await addUser(storage, 'alice'), await addUser(storage, 'bob')];
      await onTestPostgres((client) => client.query(`select setval('"${schema.name}".offline_messages_id_seq', ${2 ** 31 - 2})`));
      const send = (text: string, clientMsgId: string) =>
        storage.repositories.messages.send({ deliveries: [{ recipientId: bob.id, message: privateFrom(alice, text) }], maxQueued: 100, sentAt: at(0), key: { senderId: alice.id, clientMsgId } });
      const receipts = [await send('the last of 32 bits', 'c-1'), await send('the first past them', 'c-2'), await send('and on', 'c-3')];
      expect(receipts.map((receipt) => receipt.firstId)).to.deep.equal([2 ** 31 - 1, 2 ** 31, 2 ** 31 + 1]);
      const retry = await send('the first past them', 'c-2');
      expect([retry.repeat, retry.firstId]).to.deep.equal([true, 2 ** 31]);
      const pending = await storage.repositories.messages.pendingFor(bob.id, { after: 2 ** 31 - 1 });
      expect(pending.map((queued) => [queued.id, queued.message.text])).to.deep.equal([
        [2 ** 31, 'the first past them'],
        [2 ** 31 + 1, 'and on'],
      ]);
      expect(await storage.repositories.messages.acknowledge(bob.id, [2 ** 31, 2 ** 31 + 1, 2 ** 40])).to.have.members([2 ** 31, 2 ** 31 + 1]).and.length(2);
      expect((await storage.repositories.messages.pendingFor(bob.id)).map((queued) => queued.id)).to.deep.equal([2 ** 31 - 1]);
    } finally {
      await storage.close();
      await schema.drop();
    }
  });
});

describe('PostgreSQL: a queue write racing the deletion of an account', () => {
  for (const members of [2, 3]) {
    it(`never deadlocks: the write waits for the deletion of the group it names, then is refused (a group of ${members})`, async () => {
      const schema = await testSchema();
      const db = await openPostgresDatabase(schema.url);
      try {
        const names = ['tom', 'sam', 'max'].slice(0, members);
        await db('users').insert(names.map((username, i) => ({ id: i + 1, username, password_hash: 'h', created_at: 0 })));
        await db('groups').insert({ id: 1, name: 'team', creator_id: 1, created_at: 0 });
        const group = { id: 1, name: 'team', creator: 'tom' as Username };
        const others = names.slice(1).map((_, i) => i + 2);
        // Sam writes to the team (tom and max) while tom's account goes, as AccountService.remove does it:
        // the group first, then the notices to its members, then the user.
        let written: Promise<QueueBatchResult> | undefined;
        await db.transaction(async (trx) => {
          const repositories = knexRepositories(trx);
          await repositories.groups.remove(1);
          const toTeam: ChatMessage = { kind: 'group', from: { id: 2, username: 'sam' as Username }, fromAdmin: false, group, text: 'hi', sentAt: at(0) };
          const recipients = [1, ...others.filter((id) => id !== 2)];
          written = knexQueueBatchWriter(db)({ sends: [{ deliveries: recipients.map((recipientId) => ({ recipientId, message: toTeam })), maxQueued: 100, sentAt: at(0) }], acknowledgements: [], counts: new Map() });
          // Once the write waits on a lock (the group's row), the deletion goes on.
          await eventually(async () => {
            const waiting = (await db.raw("select count(*)::int as n from pg_stat_activity where wait_event_type = 'Lock' and query ilike '%for key share%'")) as { rows: { n: number }[] };
            return waiting.rows[0]!.n > 0;
          });
          const notice: ChatMessage = { kind: 'notice', topic: 'group-deleted', from: { id: 1, username: 'tom' as Username }, group, text: 'team deleted', sentAt: at(0) };
          await repositories.messages.enqueue(others.map((recipientId) => ({ recipientId, message: notice })));
          await repositories.users.remove(1);
        });
        const { sent } = await written!;
        expect(sent[0]).to.include({ code: 'UNKNOWN_GROUP' });
        expect(await db('offline_messages').orderBy('recipient_id').select('recipient_id', 'body')).to.deep.equal(others.map((id) => ({ recipient_id: id, body: 'team deleted' })));
      } finally {
        await db.destroy();
        await schema.drop();
      }
    });
  }
});

describe('nodes starting together on a new PostgreSQL schema', () => {
  it('all start: one migrates, the others wait for it rather than fail on the migration lock', async () => {
    const schema = await testSchema();
    try {
      const nodes = await Promise.all([openStorage(schema.url), openStorage(schema.url), openStorage(schema.url)]);
      await addUser(nodes[0]!, 'alice');
      for (const node of nodes) expect((await node.repositories.users.all()).map((u) => u.username)).to.deep.equal(['alice']);
      await Promise.all(nodes.map((node) => node.close()));
    } finally {
      await schema.drop();
    }
  });
});

/** Two server processes' storage, each its own Knex pool, on one schema: two nodes sharing a database. */
describe('PostgreSQL shared by two nodes', () => {
  let schema: TestSchema;
  let a: Storage;
  let b: Storage;
  let alice: User;
  let bob: User;
  const send = (node: Storage, text: string, extra: Partial<MessageSend> = {}) =>
    node.repositories.messages.send({ deliveries: [{ recipientId: bob.id, message: privateFrom(alice, text) }], maxQueued: 100, sentAt: at(0), ...extra });

  beforeEach(async () => {
    schema = await testSchema();
    [a, b] = [await openStorage(schema.url), await openStorage(schema.url)];
    [alice, bob] = [await addUser(a, 'alice'), await addUser(b, 'bob')];
  });
  afterEach(async () => {
    await Promise.all([a.close(), b.close()]);
    await schema.drop();
  });

  it('lets a creator have ten groups however many creates race from both nodes', async () => {
    const creates = Array.from({ length: 14 }, (_, i) =>
      (i % 2 ? a : b).repositories.groups.create({ name: `g${i}`, creatorId: alice.id, createdAt: at(i), maxPerCreator: 10 }),
    );
    const outcomes = await Promise.allSettled(creates);
    const refused = outcomes.flatMap((o) => (o.status === 'rejected' ? [(o.reason as DomainError).code] : []));
    expect(refused).to.deep.equal(Array(4).fill('GROUP_LIMIT_REACHED'));
    expect(await a.repositories.groups.countCreatedBy(alice.id)).to.equal(10);
  });

  it('holds a recipient to the quota when sends race from both nodes', async () => {
    const receipts = await Promise.all(Array.from({ length: 8 }, (_, i) => send(i % 2 ? a : b, `m${i}`, { maxQueued: 3 })));
    expect(receipts.filter((r) => r.recipients === 1)).to.have.length(3);
    expect(receipts.filter((r) => r.full.includes(bob.id))).to.have.length(5);
    expect(await a.repositories.messages.countFor(bob.id)).to.equal(3);
  });

  it('stores a send once when its retry races from the other node, and answers both with the first id', async () => {
    const key = { senderId: alice.id, clientMsgId: 'c-1' };
    const [first, second] = await Promise.all([send(a, 'once', { key }), send(b, 'once', { key })]);
    expect([first!.repeat, second!.repeat].sort()).to.deep.equal([false, true]);
    expect(first!.firstId).to.equal(second!.firstId);
    expect((await a.repositories.messages.pendingFor(bob.id)).map((m) => m.message.text)).to.deep.equal(['once']);
  });

  it('never lets a lower id commit after a higher one for the same recipient, so a replay cursor misses nothing', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let queued!: () => void;
    const enqueued = new Promise<void>((resolve) => (queued = resolve));
    // Node a queues a notice to bob inside a unit of work that stays open.
    const unit = a.unitOfWork.run(async ({ messages }) => {
      const [notice] = await messages.enqueue([{ recipientId: bob.id, message: privateFrom(alice, 'first, committed late') }]);
      queued();
      await held;
      return notice!.id;
    });
    await enqueued;
    // Node b's send to bob waits for node a's unit to end rather than commit a higher id before it.
    const later = send(b, 'second');
    await eventually(async () => (await onTestPostgres((client) => client.query(`select 1 from pg_locks where locktype = 'advisory' and not granted and database = (select oid from pg_database where datname = current_database())`))).rowCount! > 0);
    expect(await b.repositories.messages.pendingFor(bob.id)).to.deep.equal([]);
    release();
    const [firstId, receipt] = await Promise.all([unit, later]);
    expect(receipt.firstId).to.be.greaterThan(firstId);
    expect((await b.repositories.messages.pendingFor(bob.id, { after: 0 })).map((m) => m.id)).to.deep.equal([firstId, receipt.firstId]);
  });

  it('answers from the database, not a cache, so a friendship made on the other node shows at once', async () => {
    expect(a.caches).to.equal(undefined);
    expect(await a.repositories.friendships.areFriends(alice.id, bob.id)).to.equal(false);
    await b.repositories.friendships.befriend(alice.id, bob.id, at(1));
    expect(await a.repositories.friendships.areFriends(alice.id, bob.id)).to.equal(true);
  });
});

describe('PostgreSQL going away while serving', () => {
  let schema: TestSchema;
  let outage: Outage;
  let storage: Storage;

  beforeEach(async () => {
    schema = await testSchema();
    outage = new Outage();
    await outage.up();
    storage = await openStorage(outage.urlFor(schema), { busyTimeoutMs: 1000 });
  });
  afterEach(async () => {
    await outage.up();
    await storage.close();
    await outage.down();
    await schema.drop();
  });

  it('answers STORAGE_UNAVAILABLE for a unit whose connection an administrator ends (pg_terminate_backend), and serves the next request', async () => {
    const url = new URL(schema.url);
    url.searchParams.set('application_name', schema.name);
    const direct = await openStorage(url.toString());
    try {
      const alice = await addUser(direct, 'alice');
      let release!: () => void;
      const held = new Promise<void>((resolve) => (release = resolve));
      let started!: () => void;
      const begun = new Promise<void>((resolve) => (started = resolve));
      const unit = direct.unitOfWork.run(async ({ users }) => {
        await users.byId(alice.id);
        started();
        await held;
        return users.add({ username: 'bob' as Username, passwordHash: 'h', createdAt: at(1) });
      });
      await begun;
      await onTestPostgres((client) => client.query('select pg_terminate_backend(pid) from pg_stat_activity where application_name = $1', [schema.name]));
      release();
      const error = await unit.catch((e: unknown) => e);
      expect(error, String(error)).to.be.instanceOf(StorageError);
      expect(error).to.have.property('code', 'STORAGE_UNAVAILABLE');
      expect((await direct.repositories.users.all()).map((u) => u.username)).to.deep.equal(['alice']);
    } finally {
      await direct.close();
    }
  });

  it('keeps at most maxConnections to the database: a request that finds them all busy past the timeout answers STORAGE_UNAVAILABLE', async () => {
    const url = new URL(schema.url);
    url.searchParams.set('application_name', schema.name);
    const small = await openStorage(url.toString(), { maxConnections: 1, busyTimeoutMs: 200 });
    try {
      const alice = await addUser(small, 'alice');
      let release!: () => void;
      const held = new Promise<void>((resolve) => (release = resolve));
      let started!: () => void;
      const begun = new Promise<void>((resolve) => (started = resolve));
      const unit = small.unitOfWork.run(async ({ users }) => {
        await users.byId(alice.id);
        started();
        await held;
      });
      await begun;
      const error = await small.repositories.users.byId(alice.id).catch((e: unknown) => e);
      expect(error, String(error)).to.be.instanceOf(StorageError);
      expect(error).to.have.property('code', 'STORAGE_UNAVAILABLE');
      const connections = await onTestPostgres((client) => client.query('select 1 from pg_stat_activity where application_name = $1', [schema.name]));
      expect(connections.rowCount).to.equal(1);
      release();
      await unit;
      expect((await small.repositories.users.byId(alice.id))?.username).to.equal('alice');
    } finally {
      await small.close();
    }
  });

  it('answers STORAGE_UNAVAILABLE, stores nothing, and recovers by itself once the database is back', async () => {
    const { users, messages } = storage.repositories;
    const alice = await users.add({ username: 'alice' as Username, passwordHash: 'h', createdAt: at(0) });
    await outage.down();
    const refusals = await Promise.all([
      users.byId(alice.id).catch((error: unknown) => error),
      messages.send({ deliveries: [{ recipientId: alice.id, message: privateFrom(alice, 'lost?') }], maxQueued: 10, sentAt: at(1) }).catch((error: unknown) => error),
    ]);
    for (const error of refusals) {
      expect(error, String(error)).to.be.instanceOf(StorageError);
      expect(error).to.have.property('code', 'STORAGE_UNAVAILABLE');
      expect(error).to.have.property('retryAfterMs', 1000);
    }
    await outage.up();
    await eventually(async () => (await users.byId(alice.id).catch(() => undefined)) !== undefined);
    await messages.send({ deliveries: [{ recipientId: alice.id, message: privateFrom(alice, 'stored') }], maxQueued: 10, sentAt: at(2) });
    expect((await messages.pendingFor(alice.id)).map((m) => m.message.text)).to.deep.equal(['stored']);
  });
});
