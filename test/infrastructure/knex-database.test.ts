import { expect } from 'chai';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Knex } from 'knex';
import { openSqliteDatabase } from '../../infrastructure/knex/knex-database.js';
import { KnexMessageQueue } from '../../infrastructure/knex/knex-message-queue.js';
import { knexRepositories } from '../../infrastructure/knex/knex-unit-of-work.js';
import { migrationSource } from '../../infrastructure/knex/migration-source.js';
import type { Username } from '../../domain/index.js';

const SCHEMA: Record<string, string[]> = {
  users: ['id', 'username', 'password_hash', 'is_admin', 'token_hash', 'banned_by', 'banned_at', 'created_at', 'token_issued_at'],
  groups: ['id', 'name', 'creator_id', 'banned_by', 'banned_at', 'created_at'],
  group_members: ['group_id', 'user_id', 'role', 'joined_at'],
  user_friends: ['user_id', 'friend_id', 'created_at'],
  offline_messages: ['id', 'recipient_id', 'kind', 'sender_id', 'group_id', 'body', 'payload', 'created_at'],
  user_login_log: ['id', 'user_id', 'ip', 'logged_in_at'],
  client_message_ids: ['sender_id', 'client_msg_id', 'message_id', 'recipients', 'full', 'sent_at'],
  group_messages: ['id', 'group_id', 'sender_id', 'body', 'payload', 'created_at', 'recipients'],
  group_cursors: ['user_id', 'group_id', 'through', 'until', 'acked'],
};

/** Each table's unique constraints and indexes, as column lists (primary keys included). */
const KEYS: Record<string, string[]> = {
  users: ['id', 'token_hash (unique)', 'username (unique)'],
  groups: ['creator_id', 'id', 'name,creator_id (unique)'],
  group_members: ['group_id,user_id (unique)', 'user_id'],
  user_friends: ['friend_id', 'user_id,friend_id (unique)'],
  offline_messages: ['id', 'recipient_id,id'],
  user_login_log: ['id', 'user_id,logged_in_at'],
  client_message_ids: ['sender_id,client_msg_id (unique)'],
  group_messages: ['group_id,id,sender_id', 'id'],
  group_cursors: ['group_id', 'user_id,group_id (unique)'],
};

async function pragma(db: Knex, name: string): Promise<unknown> {
  const [row] = (await db.raw(`PRAGMA ${name}`)) as Record<string, unknown>[];
  return Object.values(row ?? {})[0];
}

/** The queue's foreign keys: column, table referred to, what a deletion there does. */
async function queueKeys(db: Knex): Promise<object[]> {
  return (await db.raw("select \"from\" as column, \"table\", on_delete from pragma_foreign_key_list('offline_messages')")) as object[];
}

async function keysOf(db: Knex, table: string): Promise<string[]> {
  const keys: string[] = [];
  const columns = (await db.raw(`PRAGMA table_info(${table})`)) as { name: string; pk: number }[];
  const primary = columns.filter((c) => c.pk > 0).sort((a, b) => a.pk - b.pk);
  if (primary.length === 1) keys.push(primary[0]!.name);
  for (const index of (await db.raw(`PRAGMA index_list(${table})`)) as { name: string; unique: number }[]) {
    const parts = (await db.raw(`PRAGMA index_info(${JSON.stringify(index.name)})`)) as { seqno: number; name: string }[];
    const names = parts.sort((a, b) => a.seqno - b.seqno).map((p) => p.name).join(',');
    keys.push(index.unique ? `${names} (unique)` : names);
  }
  return keys.sort();
}

describe('the SQLite database', () => {
  let directory: string;
  let file: string;
  const open: Knex[] = [];
  const openAt = async (filename: string) => {
    const db = await openSqliteDatabase(filename);
    open.push(db);
    return db;
  };

  beforeEach(() => {
    directory = mkdtempSync(join(tmpdir(), 'parley-sqlite-'));
    file = join(directory, 'nested', 'deeper', 'chat.sqlite');
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((db) => db.destroy()));
    rmSync(directory, { recursive: true, force: true });
  });

  it('is created with its folders, in WAL mode, with foreign keys on, a busy timeout and FULL sync (durable across a power cut)', async () => {
    const db = await openAt(file);
    expect(await pragma(db, 'journal_mode')).to.equal('wal');
    expect(await pragma(db, 'foreign_keys')).to.equal(1);
    expect(await pragma(db, 'busy_timeout')).to.equal(5000);
    expect(await pragma(db, 'synchronous')).to.equal(2);
  });

  it('is readable by its owner only: the file, its -wal and -shm, and the folders it made', async () => {
    const db = await openAt(file);
    await db.raw('create table scratch (a)'); // a write, so the -wal exists and holds something
    const mode = (path: string) => statSync(path).mode & 0o777;
    expect([file, `${file}-wal`, `${file}-shm`].map(mode)).to.deep.equal([0o600, 0o600, 0o600]);
    expect([join(directory, 'nested'), join(directory, 'nested', 'deeper')].map(mode)).to.deep.equal([0o700, 0o700]);
  });

  it('has the six tables of the seed schema, the client message ids and the group log, with their columns, keys and indexes', async () => {
    const db = await openAt(file);
    const tables = await db('sqlite_master').where({ type: 'table' }).pluck('name');
    expect(tables.filter((name: string) => !/^(sqlite|knex)_/.test(name)).sort()).to.deep.equal(Object.keys(SCHEMA).sort());
    for (const [table, columns] of Object.entries(SCHEMA)) {
      const info = (await db.raw(`PRAGMA table_info(${table})`)) as { name: string }[];
      expect(info.map((c) => c.name), table).to.deep.equal(columns);
      expect(await keysOf(db, table), table).to.deep.equal(KEYS[table]);
    }
  });

  it('never reuses a deleted row\'s id (AUTOINCREMENT), even after a reopen', async () => {
    const first = await openAt(file);
    const sql = (await first('sqlite_master').where({ name: 'offline_messages' }).first('sql')) as { sql: string };
    expect(sql.sql).to.match(/autoincrement/i);
    const [user] = (await first('users').insert({ username: 'alice', password_hash: 'h', created_at: 0 }).returning('id')) as { id: number }[];
    const message = { kind: 'notice' as const, topic: 'friend-added' as const, from: null, group: null, text: 'hi', sentAt: new Date(0) };
    const [queued] = await new KnexMessageQueue(first).enqueue([{ recipientId: user!.id, message }]);
    await new KnexMessageQueue(first).acknowledge(user!.id, [queued!.id]);
    await first.destroy();
    const second = await openAt(file);
    const [next] = await new KnexMessageQueue(second).enqueue([{ recipientId: user!.id, message }]);
    expect(next!.id).to.be.greaterThan(queued!.id);
  });

  it('refuses rows that point nowhere', async () => {
    const db = await openAt(file);
    const error = await db('group_members').insert({ group_id: 42, user_id: 42, role: 1, joined_at: 0 }).then(() => undefined, (e: Error) => e);
    expect(error?.message).to.contain('FOREIGN KEY');
  });

  it('deletes a group\'s memberships with it, and leaves the queued messages that name it as they are', async () => {
    const db = await openAt(file);
    await db('users').insert({ id: 1, username: 'alice', password_hash: 'h', created_at: 0 });
    await db('groups').insert({ id: 7, name: 'team', creator_id: 1, created_at: 0 });
    await db('group_members').insert({ group_id: 7, user_id: 1, role: 0, joined_at: 0 });
    await db('offline_messages').insert({ recipient_id: 1, kind: 'notice', group_id: 7, body: 'bye', payload: '{}', created_at: 0 });
    await db('groups').where({ id: 7 }).del();
    expect(await db('group_members').count({ n: '*' })).to.deep.equal([{ n: 0 }]);
    expect(await db('offline_messages').select('group_id', 'body')).to.deep.equal([{ group_id: 7, body: 'bye' }]);
  });

  it('keeps no foreign key on the queue (the writers check each batch), and deletes a removed user\'s queue with them', async () => {
    const db = await openAt(file);
    expect(await queueKeys(db)).to.deep.equal([]);
    await db('users').insert([
      { id: 1, username: 'alice', password_hash: 'h', created_at: 0 },
      { id: 2, username: 'bob', password_hash: 'h', created_at: 0 },
    ]);
    const row = (id: number, recipient: number) => ({ id, recipient_id: recipient, kind: 'private', sender_id: 3 - recipient, group_id: null, body: `m${id}`, payload: '{}', created_at: id });
    await db('offline_messages').insert([row(1, 2), row(2, 1), row(3, 2)]);
    expect(await knexRepositories(db).users.remove(2)).to.equal(true);
    expect(await db('offline_messages').pluck('id')).to.deep.equal([2]);
  });

  it('0005-queue-recipient-check keeps every queued row and its ids, and on the way down drops rows for recipients who are gone', async () => {
    const db = await openAt(file);
    await db.migrate.down({ migrationSource, name: '0006-group-log' });
    await db.migrate.down({ migrationSource, name: '0005-queue-recipient-check' });
    expect(await queueKeys(db)).to.deep.equal([{ column: 'recipient_id', table: 'users', on_delete: 'CASCADE' }]);
    await db('users').insert([
      { id: 1, username: 'alice', password_hash: 'h', created_at: 0 },
      { id: 2, username: 'bob', password_hash: 'h', created_at: 0 },
    ]);
    const row = (id: number, recipient = 2) => ({ id, recipient_id: recipient, kind: 'private', sender_id: 1, group_id: null, body: `m${id}`, payload: '{}', created_at: id });
    await db('offline_messages').insert([row(1), row(2), row(3)]);
    await db('offline_messages').where({ id: 3 }).del();
    await db.migrate.latest({ migrationSource });
    expect(await queueKeys(db)).to.deep.equal([]);
    expect(await db('offline_messages').orderBy('id').select('*')).to.deep.equal([row(1), row(2)]);
    const [next] = await new KnexMessageQueue(db).enqueue([
      { recipientId: 2, message: { kind: 'private', from: { id: 1, username: 'alice' as Username }, fromAdmin: false, text: 'after', sentAt: new Date(9) } },
    ]);
    expect(next!.id).to.equal(4);
    await db('offline_messages').insert(row(5, 99));
    await db.migrate.down({ migrationSource, name: '0006-group-log' });
    await db.migrate.down({ migrationSource, name: '0005-queue-recipient-check' });
    expect(await db('offline_messages').orderBy('id').pluck('id')).to.deep.equal([1, 2, 4]);
    expect(await queueKeys(db)).to.deep.equal([{ column: 'recipient_id', table: 'users', on_delete: 'CASCADE' }]);
    const [afterDown] = await new KnexMessageQueue(db).enqueue([
      { recipientId: 2, message: { kind: 'private', from: { id: 1, username: 'alice' as Username }, fromAdmin: false, text: 'after down', sentAt: new Date(10) } },
    ]);
    expect(afterDown!.id, 'the dropped row\'s id is not given again').to.equal(6);
  });

  it('0004-queue-references keeps every queued row and never hands out an id given before it', async () => {
    const db = await openAt(file);
    await db.migrate.down({ migrationSource, name: '0006-group-log' });
    await db.migrate.down({ migrationSource, name: '0005-queue-recipient-check' });
    await db.migrate.down({ migrationSource, name: '0004-queue-references' });
    await db('users').insert([
      { id: 1, username: 'alice', password_hash: 'h', created_at: 0 },
      { id: 2, username: 'bob', password_hash: 'h', created_at: 0 },
    ]);
    const row = (id: number) => ({ id, recipient_id: 2, kind: 'private', sender_id: 1, group_id: null, body: `m${id}`, payload: '{}', created_at: id });
    await db('offline_messages').insert([row(1), row(2), row(3)]);
    await db('offline_messages').whereIn('id', [2, 3]).del();
    await db.migrate.latest({ migrationSource });
    expect(await db('offline_messages').select('*')).to.deep.equal([row(1)]);
    const [next] = await new KnexMessageQueue(db).enqueue([
      { recipientId: 2, message: { kind: 'private', from: { id: 1, username: 'alice' as Username }, fromAdmin: false, text: 'after', sentAt: new Date(9) } },
    ]);
    expect(next!.id).to.equal(4);
    await db('users').where({ id: 1 }).del();
    expect(await db('offline_messages').orderBy('id').pluck('sender_id')).to.deep.equal([1, 1]);
    await db.migrate.down({ migrationSource, name: '0006-group-log' });
    await db.migrate.down({ migrationSource, name: '0005-queue-recipient-check' });
    await db.migrate.down({ migrationSource, name: '0004-queue-references' });
    expect(await db('offline_messages').orderBy('id').pluck('sender_id')).to.deep.equal([null, null]);
  });

  it('keeps data across close and reopen, migrating only once', async () => {
    const first = await openAt(file);
    await first('users').insert({ username: 'alice', password_hash: 'h', created_at: 0 });
    await first.destroy();
    const second = await openAt(file);
    expect(await second('users').pluck('username')).to.deep.equal(['alice']);
    expect(await second('knex_migrations').pluck('name')).to.deep.equal(['0001-initial-schema', '0002-client-message-ids', '0003-token-issued-at', '0004-queue-references', '0005-queue-recipient-check', '0006-group-log', '0007-message-ids-64-bit']);
  });

  it('dates the tokens issued before 0003-token-issued-at to the upgrade, so nobody is logged out by it', async () => {
    const db = await openAt(file);
    await db.migrate.down({ migrationSource, name: '0003-token-issued-at' });
    await db('users').insert([
      { username: 'alice', password_hash: 'h', token_hash: 't', created_at: 0 },
      { username: 'bob', password_hash: 'h', created_at: 0 },
    ]);
    await db.migrate.latest({ migrationSource });
    const rows = (await db('users').orderBy('id').select('token_issued_at')) as { token_issued_at: number | null }[];
    expect(rows[0]!.token_issued_at).to.be.closeTo(Date.now(), 60_000);
    expect(rows[1]!.token_issued_at).to.equal(null);
  });

  it('can roll the schema back and forward again', async () => {
    const db = await openAt(file);
    await db.migrate.rollback({ migrationSource }, true);
    expect(await db.schema.hasTable('users')).to.equal(false);
    await db.migrate.latest({ migrationSource });
    expect(await db.schema.hasTable('offline_messages')).to.equal(true);
  });

  it('opens :memory: on its one connection, so what is written stays visible', async () => {
    const db = await openAt(':memory:');
    expect(await pragma(db, 'foreign_keys')).to.equal(1);
    await db('users').insert({ username: 'alice', password_hash: 'h', created_at: 0 });
    const reads = await Promise.all([1, 2, 3].map(() => db('users').pluck('username')));
    expect(reads).to.deep.equal([['alice'], ['alice'], ['alice']]);
  });
});
