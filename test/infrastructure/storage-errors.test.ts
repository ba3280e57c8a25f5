import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import knex, { type Knex } from 'knex';
import { pino } from 'pino';
import type { ChatApp } from '../../application/chat-app.js';
import { StorageError } from '../../application/ports/storage-error.js';
import { createChatApp } from '../../container.js';
import type { User, Username } from '../../domain/index.js';
import { GroupCommitMessageQueue } from '../../infrastructure/knex/group-commit-message-queue.js';
import { openSqliteDatabase } from '../../infrastructure/knex/knex-database.js';
import { knexRepositories, KnexUnitOfWork } from '../../infrastructure/knex/knex-unit-of-work.js';
import { sqliteQueueBatchWriter } from '../../infrastructure/knex/sqlite-queue-batch-writer.js';
import { meaningOf, withStorageErrors } from '../../infrastructure/storage-errors.js';
import { TcpGateway } from '../../interfaces/tcp/tcp-gateway.js';
import { RawPeer } from '../support/raw-peer.js';
import { rejection } from './storage-fixture.js';

const SECRET = 'the secret text of a message';

describe('storage errors with meaning', () => {
  let directory: string;
  beforeEach(() => {
    directory = mkdtempSync(join(tmpdir(), 'parley-storage-errors-'));
  });
  afterEach(() => rmSync(directory, { recursive: true, force: true }));

  it('answers TRY_AGAIN with retryAfterMs over the socket while another connection holds the write lock, and logs no message text', async () => {
    const filename = join(directory, 'chat.sqlite');
    const logged: string[] = [];
    const app: ChatApp = await createChatApp({ storage: `sqlite:${filename}`, busyTimeoutMs: 50, scryptCost: { N: 2 ** 10, r: 8, p: 1 } });
    const gateway = new TcpGateway(app, { host: '127.0.0.1', port: 0, logger: pino({ level: 'debug' }, { write: (line: string) => void logged.push(line) }) });
    const { port } = await gateway.listen();
    // A second connection, as another process would hold one; one pooled connection, so BEGIN and ROLLBACK share it.
    const other = knex({ client: 'better-sqlite3', connection: { filename }, useNullAsDefault: true, pool: { min: 1, max: 1 } });
    const peer = await RawPeer.open(port);
    try {
      await app.accounts.register('alice', 'pw-alice-123');
      const bob = await app.accounts.register('bob', 'pw-bob-123');
      const { token } = await app.accounts.login('alice', 'pw-alice-123', '127.0.0.1');
      await app.friends.add(await app.accounts.authenticate(token), bob.username);
      await other.raw('BEGIN IMMEDIATE');
      peer.request(1, 'send', { to: 'bob', text: SECRET }, token);
      const answer = await peer.next();
      expect(answer).to.deep.include({ status: 'error', code: 'TRY_AGAIN', data: { retryAfterMs: 1000 } });
      expect(answer.message).to.match(/busy: try again/);
      await other.raw('ROLLBACK');
      peer.request(2, 'send', { to: 'bob', text: SECRET }, token);
      expect(await peer.next()).to.deep.include({ status: 'ok' });
      expect(logged.join('\n')).to.include('"code":"TRY_AGAIN"').and.not.include(SECRET);
    } finally {
      peer.end();
      await other.destroy();
      await gateway.close();
      await app.close();
    }
  });

  describe('on a full disk (SQLite held to a few pages with max_page_count)', () => {
    let db: Knex;
    let alice: User;
    let bob: User;
    beforeEach(async () => {
      db = await openSqliteDatabase(join(directory, 'full.sqlite'));
      const users = knexRepositories(db).users;
      const add = (username: string) => users.add({ username: username as Username, passwordHash: 'h', createdAt: new Date(0) });
      [alice, bob] = [await add('alice'), await add('bob')];
      // One pooled connection: the limit holds for every statement after it.
      const [{ page_count: pages }] = (await db.raw('PRAGMA page_count')) as [{ page_count: number }];
      await db.raw(`PRAGMA max_page_count = ${pages + 2}`);
    });
    afterEach(() => db.destroy());

    const message = (i: number) => ({
      recipientId: bob.id,
      message: { kind: 'private' as const, from: { id: alice.id, username: alice.username }, fromAdmin: false, text: `${SECRET} ${i} ${'x'.repeat(3000)}`, sentAt: new Date(0) },
    });

    it('refuses a group-committed send with STORAGE_FULL, whose message says nothing of the text', async () => {
      const queue = new GroupCommitMessageQueue(db, sqliteQueueBatchWriter(db));
      const { repositories } = withStorageErrors({ repositories: { ...knexRepositories(db), messages: queue }, unitOfWork: new KnexUnitOfWork(db) });
      let error: unknown;
      for (let i = 0; i < 50 && !error; i++) error = await repositories.messages.enqueue([message(i)]).then(() => undefined, (e: unknown) => e);
      expect(error).to.be.instanceOf(StorageError);
      expect(error).to.include({ code: 'STORAGE_FULL' });
      expect(String((error as Error).stack)).not.to.include(SECRET);
    });

    it('keeps the statement but not the values bound into it in a Knex error', async () => {
      const { repositories } = withStorageErrors({ repositories: knexRepositories(db), unitOfWork: new KnexUnitOfWork(db) });
      const failed = await rejection((async () => {
        for (let i = 0; i < 50; i++) await repositories.messages.enqueue([message(i)]);
      })());
      expect(failed).to.be.instanceOf(StorageError);
      const raw = await rejection((async () => {
        for (let i = 0; i < 50; i++) await knexRepositories(db).messages.enqueue([message(i)]);
      })());
      expect(raw.message).to.match(/^insert into `offline_messages` .* - SQLITE_FULL|database or disk is full/);
      expect(`${raw.message}\n${raw.stack}`).not.to.include(SECRET);
    });
  });
});

describe('what a driver error means', () => {
  const withCode = (code: string) => Object.assign(new Error(`failed with ${code}`), { code });

  it('reads a database that cannot be reached or went away as STORAGE_UNAVAILABLE, to retry after a second', () => {
    const gone = [
      ...['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'ETIMEDOUT', '08006', '57P01', '57P03'].map(withCode),
      new Error('select 1 - Connection terminated unexpectedly'),
      Object.assign(new Error('Knex: Timeout acquiring a connection. The pool is probably full.'), { name: 'KnexTimeoutError' }),
    ];
    for (const error of gone) {
      const meaning = meaningOf(error);
      expect(meaning, error.message).to.be.instanceOf(StorageError);
      expect(meaning).to.include({ code: 'STORAGE_UNAVAILABLE', retryAfterMs: 1000, cause: error });
    }
  });

  it('leaves other driver errors as they are', () => {
    for (const error of [withCode('23505'), withCode('42P01'), new Error('something else')]) expect(meaningOf(error)).to.equal(error);
  });
});
