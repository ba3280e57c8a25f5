import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Knex } from 'knex';
import type { ChatMessage, GroupRef, MessageId, OfflineMessage, User, Username } from '../../domain/index.js';
import type { QueueBatchWriter } from '../../infrastructure/knex/group-commit-message-queue.js';
import { openSqliteDatabase } from '../../infrastructure/knex/knex-database.js';
import { migrationSource } from '../../infrastructure/knex/migration-source.js';
import { onConnection, SqliteGroupLog, sqliteQueueReads, SWEEPS_PER_GAP_SWEEP, type SqliteDatabase, type SqliteStatement } from '../../infrastructure/knex/sqlite-group-log.js';
import { sqliteQueueBatchWriter } from '../../infrastructure/knex/sqlite-queue-batch-writer.js';
import { openStorage, type Storage } from '../../infrastructure/storage.js';
import { at } from './storage-fixture.js';

/** Another server process's queue on the same SQLite file. */
const WRITER = fileURLToPath(new URL('../support/queue-writer-node.js', import.meta.url));

/**
 * SQLite's group log (ADR 0020): a group message stored once, each member's acknowledgements
 * moving a cursor, a message swept once every member it lists has passed it. The contract
 * suite (message-queue.contract.ts) shows the queue behaves as every adapter does; these show
 * the storage itself: what is kept, and for how long.
 */
describe('the SQLite group log', () => {
  let directory: string;
  let file: string;
  let storage: Storage;
  /** A second connection to the same file, to look at the tables. */
  let look: Knex;
  let alice: User;
  let bob: User;
  let carol: User;
  let dave: User;
  let team: GroupRef;

  const addUser = (name: string) => storage.repositories.users.add({ username: name as Username, passwordHash: 'h', createdAt: at(0) });
  const messages = () => storage.repositories.messages;
  const groupMessage = (text: string, group = team): ChatMessage => ({ kind: 'group', from: { id: alice.id, username: alice.username }, fromAdmin: false, group, text, sentAt: at(1) });
  /** Sends a group message to the members given; gives each one's delivery, in that order. */
  const send = async (text: string, members: User[], maxQueued = 100): Promise<OfflineMessage[]> => {
    const message = groupMessage(text);
    return (await messages().send({ deliveries: members.map((member) => ({ recipientId: member.id, message })), maxQueued, sentAt: at(1) })).queued;
  };
  const texts = async (user: User) => (await messages().pendingFor(user.id)).map((delivery) => delivery.message.text);
  const stored = async () => (await look('group_messages').orderBy('id').pluck('body')) as string[];
  const ids = (deliveries: (OfflineMessage | undefined)[]): MessageId[] => deliveries.map((delivery) => delivery!.id);

  const open = async () => {
    storage = await openStorage(`sqlite:${file}`, { cacheCapacity: 0 });
  };

  beforeEach(async () => {
    directory = mkdtempSync(join(tmpdir(), 'parley-group-log-'));
    file = join(directory, 'log.sqlite');
    await open();
    look = await openSqliteDatabase(file);
    [alice, bob, carol, dave] = [await addUser('alice'), await addUser('bob'), await addUser('carol'), await addUser('dave')];
    const created = await storage.repositories.groups.create({ name: 'team', creatorId: alice.id, createdAt: at(0) });
    team = { id: created.id, name: 'team', creator: alice.username };
  });

  afterEach(async () => {
    await storage.close();
    await look.destroy();
    rmSync(directory, { recursive: true, force: true });
  });

  it('stores a group message once for all its members, and deletes it when the last of them acknowledges', async () => {
    const [toBob, toCarol, toDave] = await send('hello', [bob, carol, dave]);
    expect(await stored()).to.deep.equal(['hello']);
    expect(await look('offline_messages').count({ n: '*' })).to.deep.equal([{ n: 0 }]);
    expect([toBob!.id, toCarol!.id, toDave!.id]).to.deep.equal([toBob!.id, toBob!.id + 1, toBob!.id + 2]);
    expect(await messages().acknowledge(bob.id, [toBob!.id])).to.deep.equal([toBob!.id]);
    expect(await messages().acknowledge(carol.id, [toCarol!.id])).to.deep.equal([toCarol!.id]);
    expect(await stored(), 'dave has not acknowledged').to.deep.equal(['hello']);
    expect([await messages().countFor(dave.id), await messages().countAll()]).to.deep.equal([1, 1]);
    expect(await messages().acknowledge(dave.id, [toDave!.id])).to.deep.equal([toDave!.id]);
    expect(await stored()).to.deep.equal([]);
    expect(await messages().countAll()).to.equal(0);
  });

  it('lists each message\'s own recipients when a group\'s messages from one sender go to different members', async () => {
    await send('all three', [bob, carol, dave]);
    await send('carol left', [bob, dave]);
    await send('carol back, bob left', [carol, dave]);
    await send('all three again', [bob, carol, dave]);
    await send('same members, another order', [dave, carol, bob]);
    const recipients = (await look('group_messages').orderBy('id').pluck('recipients')) as Buffer[];
    const named = (list: Buffer) => (list.toString('latin1').match(/\d{10},/g) ?? []).map((key) => Number(key.slice(0, -1)));
    expect(recipients.map(named)).to.deep.equal([
      [bob.id, carol.id, dave.id],
      [bob.id, dave.id],
      [carol.id, dave.id],
      [bob.id, carol.id, dave.id],
      [dave.id, carol.id, bob.id],
    ]);
    expect(await texts(bob)).to.deep.equal(['all three', 'carol left', 'all three again', 'same members, another order']);
    expect(await texts(carol)).to.deep.equal(['all three', 'carol back, bob left', 'all three again', 'same members, another order']);
    expect(await texts(dave)).to.have.length(5);
  });

  it('keeps what a member acknowledged past a gap until the gap closes, and never gives it again', async () => {
    const deliveries = [await send('m1', [bob, carol]), await send('m2', [bob, carol]), await send('m3', [bob, carol])];
    const bobs = ids(deliveries.map(([toBob]) => toBob));
    const carols = ids(deliveries.map(([, toCarol]) => toCarol));
    expect(await messages().acknowledge(bob.id, [bobs[2]!, bobs[1]!])).to.deep.equal([bobs[1], bobs[2]]);
    expect(await messages().acknowledge(bob.id, [bobs[1]!])).to.deep.equal([]);
    expect(await texts(bob)).to.deep.equal(['m1']);
    expect((await look('group_cursors').where({ user_id: bob.id }).first('through', 'acked')) as object).to.deep.equal({ through: 0, acked: JSON.stringify(ids([deliveries[1]![0], deliveries[2]![0]])) });
    expect(await messages().acknowledge(carol.id, carols)).to.deep.equal(carols);
    expect(await stored(), 'bob still holds m1 back, and what follows it').to.deep.equal(['m1', 'm2', 'm3']);
    expect(await messages().acknowledge(bob.id, [bobs[0]!])).to.deep.equal([bobs[0]]);
    expect(await stored()).to.deep.equal([]);
    expect([await texts(bob), await texts(carol), await messages().countAll()]).to.deep.equal([[], [], 0]);
  });

  it('is not held back by a member who left, nor by one whose account was removed', async () => {
    const [bobsFirst, carolsFirst] = await send('before bob left', [bob, carol]);
    await messages().acknowledge(bob.id, [bobsFirst!.id]);
    const later = [await send('after bob left', [carol]), await send('for carol and dave', [carol, dave])];
    await messages().acknowledge(carol.id, ids([carolsFirst, ...later.map(([toCarol]) => toCarol)]));
    expect(await stored(), 'only dave\'s copy waits').to.deep.equal(['for carol and dave']);
    const bobsCursor = (await look('group_cursors').where({ user_id: bob.id }).first('through', 'until')) as { through: number; until: number };
    expect(bobsCursor.through, 'bob\'s cursor waits for nothing more').to.equal(bobsCursor.until);

    const [, toDave] = await send('to be removed', [carol, dave]);
    await messages().acknowledge(carol.id, [toDave!.id - 1]);
    expect(await storage.repositories.users.remove(dave.id)).to.equal(true);
    expect(await look('group_cursors').where({ user_id: dave.id }).count({ n: '*' })).to.deep.equal([{ n: 0 }]);
    const [last] = await send('last', [carol]);
    await messages().acknowledge(carol.id, [last!.id]);
    expect(await stored()).to.deep.equal([]);
    expect(await messages().countAll()).to.equal(0);
  });

  it('does not keep the group\'s later messages, within a bounded number of sweeps, for a member who left with one unread', async () => {
    await send('m1', [bob, carol]);
    // Bob leaves; carol and dave read what follows, one acknowledgement (a commit, and a sweep) at a time.
    const n = SWEEPS_PER_GAP_SWEEP / 2;
    for (let i = 2; i <= n + 1; i++) await send(`m${i}`, [carol, dave]);
    const ackEach = async (member: User, deliveries: OfflineMessage[]) => {
      for (const delivery of deliveries) await messages().acknowledge(member.id, [delivery.id]);
    };
    await ackEach(carol, await messages().pendingFor(carol.id));
    expect(await stored(), 'bob\'s cursor below them keeps them, for now').to.have.length(n + 1);
    await ackEach(dave, (await messages().pendingFor(dave.id)).slice(0, -1));
    expect(await stored(), `the ${SWEEPS_PER_GAP_SWEEP}th sweep leaves what bob or dave has not read`).to.deep.equal(['m1', `m${n + 1}`]);
    expect([await texts(bob), await texts(carol), await texts(dave)]).to.deep.equal([['m1'], [], [`m${n + 1}`]]);
  });

  it('keeps a deleted group\'s messages for its members, and forgets its cursors with the last of them', async () => {
    const [toBob, toCarol] = await send('goodbye', [bob, carol]);
    expect(await storage.repositories.groups.remove(team.id)).to.equal(true);
    expect(await texts(bob)).to.deep.equal(['goodbye']);
    await messages().acknowledge(bob.id, [toBob!.id]);
    expect(await look('group_cursors').where({ group_id: team.id }).count({ n: '*' })).to.deep.equal([{ n: 2 }]);
    await messages().acknowledge(carol.id, [toCarol!.id]);
    expect([await stored(), await look('group_cursors').count({ n: '*' })]).to.deep.equal([[], [{ n: 0 }]]);
  });

  it('counts what waits from the log after a restart, for the quota and the queue depth', async () => {
    const deliveries = [await send('m1', [bob, carol], 3), await send('m2', [bob, carol], 3), await send('m3', [bob, carol], 3)];
    await messages().acknowledge(bob.id, [deliveries[1]![0]!.id]);
    await storage.close();
    await open();
    expect([await messages().countFor(bob.id), await messages().countFor(carol.id), await messages().countAll()]).to.deep.equal([2, 3, 5]);
    const receipt = await messages().send({ deliveries: [bob, carol].map((member) => ({ recipientId: member.id, message: groupMessage('m4') })), maxQueued: 3, sentAt: at(2) });
    expect(receipt.queued.map((delivery) => delivery.recipientId), 'bob has room for one more, carol none').to.deep.equal([bob.id]);
    expect(receipt.full).to.deep.equal([carol.id]);
    expect(await texts(bob)).to.deep.equal(['m1', 'm3', 'm4']);
  });

  it('stores a message to a member whose id is longer than ten digits as rows, each copy still its own', async () => {
    const huge = await storage.repositories.users.add({ username: 'huge' as Username, passwordHash: 'h', createdAt: at(0) });
    await look('users').where({ id: huge.id }).update({ id: 10 ** 10 });
    const [toBob, toHuge] = await send('wide', [bob, { ...huge, id: 10 ** 10 }]);
    expect([await stored(), await look('offline_messages').orderBy('id').pluck('recipient_id')]).to.deep.equal([[], [bob.id, 10 ** 10]]);
    expect(toHuge!.id).to.equal(toBob!.id + 1);
    expect(await messages().acknowledge(10 ** 10, [toHuge!.id])).to.deep.equal([toHuge!.id]);
    expect([await texts(bob), await messages().countAll()]).to.deep.equal([['wide'], 1]);
  });

  it('keeps at most its bound of recipient lists to store again, dropping them all when one more would pass it, and stores every list right', async () => {
    // Three members' list is 33 bytes: two senders' lists fit in 70, a third's drops both.
    const log = await onConnection(look, (connection) => new SqliteGroupLog(connection, { maxListBytes: 70 }));
    const named = (list: Buffer) => (list.toString('latin1').match(/\d{10},/g) ?? []).map((key) => Number(key.slice(0, -1)));
    const kept: number[] = [];
    let id = 1_000_000;
    const storeFrom = (sender: User, recipients: User[]) =>
      onConnection(look, () => {
        const row = { kind: 'group' as const, sender_id: sender.id, group_id: team.id, body: `from ${sender.username}`, payload: '{}', created_at: 1 };
        log.store(id, row, recipients.map((member) => member.id), SqliteGroupLog.commitLog());
        id += recipients.length;
        kept.push(log.keptListBytes);
      });
    await storeFrom(alice, [bob, carol, dave]);
    await storeFrom(bob, [alice, carol, dave]);
    await storeFrom(alice, [bob, carol, dave]);
    await storeFrom(carol, [alice, bob, dave]);
    await storeFrom(alice, [bob, carol, dave]);
    await storeFrom(dave, [alice, bob, carol]);
    await storeFrom(dave, [bob, carol]);
    expect(kept).to.deep.equal([33, 66, 66, 33, 66, 33, 22]);
    const lists = (await look('group_messages').where('id', '>=', 1_000_000).orderBy('id').pluck('recipients')) as Buffer[];
    expect(lists.map(named)).to.deep.equal([
      [bob.id, carol.id, dave.id],
      [alice.id, carol.id, dave.id],
      [bob.id, carol.id, dave.id],
      [alice.id, bob.id, dave.id],
      [bob.id, carol.id, dave.id],
      [alice.id, bob.id, carol.id],
      [bob.id, carol.id],
    ]);
    const alone = await onConnection(look, (connection) => new SqliteGroupLog(connection, { maxListBytes: 32 }));
    await onConnection(look, () => alone.store(id, { kind: 'group', sender_id: alice.id, group_id: team.id, body: 'too long to keep', payload: '{}', created_at: 1 }, [bob.id, carol.id, dave.id], SqliteGroupLog.commitLog()));
    expect(alone.keptListBytes, 'a list longer than the bound is stored, not kept').to.equal(0);
  });

  it('reads what waits for a member in one snapshot, never half of another process\'s commit', async () => {
    // Another process commits, in one call, a private message and a group message for bob,
    // just after the read of bob's rows: the read of the log must not see the group message alone.
    await onConnection(look, (connection) => {
      const rowsFor = 'select * from offline_messages where recipient_id = :user';
      const meanwhile: SqliteDatabase = {
        prepare: (sql) => {
          const statement = connection.prepare(sql);
          if (!sql.startsWith(rowsFor)) return statement;
          const all = statement.all.bind(statement);
          return Object.assign(Object.create(statement) as SqliteStatement, {
            all: (...parameters: unknown[]) => {
              const rows = all(...parameters);
              execFileSync(process.execPath, [WRITER, file, '1', '0', String(alice.id), String(team.id), String(bob.id), String(carol.id)]);
              return rows;
            },
          });
        },
        transaction: (work) => connection.transaction(work),
      };
      expect(new SqliteGroupLog(meanwhile).pendingFor(bob.id, 0, -1), 'all of it or none of it').to.deep.equal([]);
    });
    expect(await texts(bob)).to.deep.equal([`${alice.id}: private 0`, `${alice.id}: group 0`]);
  });
});

describe('the SQLite group log when a commit fails', () => {
  let directory: string;
  let db: Knex;

  beforeEach(async () => {
    directory = mkdtempSync(join(tmpdir(), 'parley-group-log-'));
    db = await openSqliteDatabase(join(directory, 'log.sqlite'));
  });
  afterEach(async () => {
    await db.destroy();
    rmSync(directory, { recursive: true, force: true });
  });

  it('leaves nothing of a commit that rolled back: its ids are given again and acknowledged as what they now are', async () => {
    await db('users').insert(['alice', 'bob', 'carol'].map((username, i) => ({ id: i + 1, username, password_hash: 'h', created_at: 0 })));
    await db('groups').insert({ id: 1, name: 'team', creator_id: 1, created_at: 0 });
    const write: QueueBatchWriter = sqliteQueueBatchWriter(db);
    const group = { id: 1, name: 'team', creator: 'alice' as Username };
    const from = { id: 1, username: 'alice' as Username };
    const toTeam = (text: string) => {
      const message: ChatMessage = { kind: 'group', from, fromAdmin: false, group, text, sentAt: at(0) };
      return { deliveries: [2, 3].map((recipientId) => ({ recipientId, message })), maxQueued: 100, sentAt: at(0) };
    };
    const toCarol = { deliveries: [{ recipientId: 3, message: { kind: 'private', from, fromAdmin: false, text: 'private', sentAt: at(0) } as ChatMessage }], maxQueued: 100, sentAt: at(0) };
    const [{ page_count: pages }] = (await db.raw('PRAGMA page_count')) as [{ page_count: number }];
    await db.raw(`PRAGMA max_page_count = ${pages + 2}`);
    // The first two messages take ids 1 to 4 for bob and carol; the third fills the database, and the commit rolls back whole.
    const failed = await write({ sends: [toTeam('small'), toTeam('small too'), toTeam('x'.repeat(20_000))], acknowledgements: [], counts: new Map() }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(String(failed)).to.match(/full/i);
    expect([await db('group_messages').count({ n: '*' }), await db('group_cursors').count({ n: '*' })]).to.deep.equal([[{ n: 0 }], [{ n: 0 }]]);
    await db.raw('PRAGMA max_page_count = 1073741823');
    const { sent } = await write({ sends: [toTeam('again'), toCarol], acknowledgements: [], counts: new Map() });
    const [[toBob, toCarolInTeam], [privateToCarol]] = sent.map((receipt) => (receipt as { queued: OfflineMessage[] }).queued) as [OfflineMessage[], OfflineMessage[]];
    expect([toBob!.id, toCarolInTeam!.id, privateToCarol!.id]).to.deep.equal([1, 2, 3]);
    const reads = sqliteQueueReads(db);
    expect((await reads.pendingFor(2)).map((delivery) => delivery.message.text)).to.deep.equal(['again']);
    expect((await reads.pendingFor(3)).map((delivery) => delivery.message.text)).to.deep.equal(['again', 'private']);
    // Id 3 was bob's copy of a message rolled back; it is carol's private message now.
    const { removed } = await write({ sends: [], acknowledgements: [{ recipientId: 3, ids: [3, 2] }, { recipientId: 2, ids: [3] }], counts: new Map() });
    expect(removed).to.deep.equal([[2, 3], []]);
    expect([await reads.countFor(2), await reads.countFor(3)]).to.deep.equal([1, 0]);
  });

  it('0006-group-log shows what waits in the view queued_deliveries, writes it back as rows with the same ids on the way down, and carries on numbering after them', async () => {
    await db('users').insert(['alice', 'bob', 'carol'].map((username, i) => ({ id: i + 1, username, password_hash: 'h', created_at: 0 })));
    await db('groups').insert({ id: 1, name: 'team', creator_id: 1, created_at: 0 });
    const write = sqliteQueueBatchWriter(db);
    const group = { id: 1, name: 'team', creator: 'alice' as Username };
    const to = (text: string) => {
      const message: ChatMessage = { kind: 'group', from: { id: 1, username: 'alice' as Username }, fromAdmin: false, group, text, sentAt: at(0) };
      return { deliveries: [2, 3].map((recipientId) => ({ recipientId, message })), maxQueued: 100, sentAt: at(0) };
    };
    const { sent } = await write({ sends: [to('m1'), to('m2'), to('m3')], acknowledgements: [], counts: new Map() });
    const [m1, m2, m3] = sent.map((receipt) => (receipt as { queued: OfflineMessage[] }).queued);
    // Bob acknowledges m1, and m3 past the gap of m2; carol nothing.
    await write({ sends: [], acknowledgements: [{ recipientId: 2, ids: [m1![0]!.id, m3![0]!.id] }], counts: new Map() });
    const reads = sqliteQueueReads(db);
    const before = [await reads.pendingFor(2), await reads.pendingFor(3)];
    expect(before.map((pending) => pending.map((delivery) => delivery.message.text))).to.deep.equal([['m2'], ['m1', 'm2', 'm3']]);
    const waiting = [m1![1]!, m2![0]!, m2![1]!, m3![1]!].map((delivery) => ({ id: delivery.id, recipient_id: delivery.recipientId, body: delivery.message.text }));
    expect(await db('queued_deliveries').orderBy('id').select('id', 'recipient_id', 'body'), 'the view an operator reads').to.deep.equal(waiting);
    await db.migrate.down({ migrationSource, name: '0006-group-log' });
    expect(await db('offline_messages').orderBy('id').select('id', 'recipient_id', 'body')).to.deep.equal(waiting);
    await db.migrate.latest({ migrationSource });
    expect([await reads.pendingFor(2), await reads.pendingFor(3)]).to.deep.equal(before);
    const { sent: next } = await write({ sends: [to('m4')], acknowledgements: [], counts: new Map() });
    expect((next[0] as { firstId: number }).firstId).to.equal(m3![1]!.id + 1);
  });
});
