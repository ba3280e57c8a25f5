import { expect } from 'chai';
import { join } from 'node:path';
import { openSqliteDatabase } from '../../infrastructure/knex/knex-database.js';
import { temporaryDirectory } from '../support/processes.js';

const SCHEMA: Record<string, string[]> = {
  users: ['id', 'username', 'password_hash', 'is_admin', 'token_hash', 'banned_by', 'banned_at', 'created_at'],
  groups: ['id', 'name', 'creator_id', 'banned_by', 'banned_at', 'created_at'],
  group_members: ['group_id', 'user_id', 'role', 'joined_at'],
  user_friends: ['user_id', 'friend_id', 'created_at'],
  offline_messages: ['id', 'recipient_id', 'kind', 'sender_id', 'group_id', 'body', 'payload', 'created_at'],
  user_login_log: ['id', 'user_id', 'ip', 'logged_in_at'],
};

describe('the SQLite database', () => {
  let directory: ReturnType<typeof temporaryDirectory>;
  let file: string;

  beforeEach(() => {
    directory = temporaryDirectory();
    file = join(directory.path, 'nested', 'chat.sqlite');
  });
  afterEach(() => directory.remove());

  it('is created with its folder, in WAL mode, with foreign keys on and a busy timeout', async () => {
    const db = await openSqliteDatabase(file);
    try {
      const pragma = async (name: string) => Object.values((await db.raw(`PRAGMA ${name}`))[0] as object)[0];
      expect(await pragma('journal_mode')).to.equal('wal');
      expect(await pragma('foreign_keys')).to.equal(1);
      expect(await pragma('busy_timeout')).to.equal(5000);
      expect(await pragma('synchronous')).to.equal(1);
    } finally {
      await db.destroy();
    }
  });

  it('has the six tables of the seed schema with their columns', async () => {
    const db = await openSqliteDatabase(file);
    try {
      for (const [table, columns] of Object.entries(SCHEMA)) {
        const info = (await db.raw(`PRAGMA table_info(${table})`)) as { name: string }[];
        expect(info.map((c) => c.name), table).to.deep.equal(columns);
      }
      const indexes = (await db.raw(`PRAGMA index_list(offline_messages)`)) as { name: string }[];
      expect(indexes.map((i) => i.name).join()).to.contain('recipient_id');
    } finally {
      await db.destroy();
    }
  });

  it('refuses rows that point nowhere', async () => {
    const db = await openSqliteDatabase(file);
    try {
      const orphan = db('group_members').insert({ group_id: 42, user_id: 42, role: 1, joined_at: 0 });
      const error = await orphan.then(() => undefined, (e: Error) => e);
      expect(error?.message).to.contain('FOREIGN KEY');
    } finally {
      await db.destroy();
    }
  });

  it('keeps data across close and reopen, migrating only once', async () => {
    const first = await openSqliteDatabase(file);
    await first('users').insert({ username: 'alice', password_hash: 'h', created_at: 0 });
    await first.destroy();
    const second = await openSqliteDatabase(file);
    try {
      expect(await second('users').pluck('username')).to.deep.equal(['alice']);
      expect(await second('knex_migrations').count({ n: '*' })).to.deep.equal([{ n: 1 }]);
    } finally {
      await second.destroy();
    }
  });
});
