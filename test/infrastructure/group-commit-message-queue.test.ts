import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Knex } from 'knex';
import type { ChatMessage, User, Username } from '../../domain/index.js';
import {
  GroupCommitMessageQueue,
  knexQueueBatchWriter,
  type QueueBatch,
  type QueueBatchWriter,
} from '../../infrastructure/knex/group-commit-message-queue.js';
import { openSqliteDatabase } from '../../infrastructure/knex/knex-database.js';
import { knexRepositories } from '../../infrastructure/knex/knex-unit-of-work.js';
import { sqliteQueueBatchWriter } from '../../infrastructure/knex/sqlite-queue-batch-writer.js';

for (const [name, writer] of [['prepared SQLite statements', sqliteQueueBatchWriter], ['Knex statements', knexQueueBatchWriter]] as const) {
  describe(`group commit of the message queue, through ${name}`, () => {
    let directory: string;
    let db: Knex;
    let batches: QueueBatch[];
    let queue: GroupCommitMessageQueue;
    let alice: User;
    let bob: User;
    const hello = (from: User, text: string): ChatMessage => ({ kind: 'private', from: { id: from.id, username: from.username }, fromAdmin: false, text, sentAt: new Date(0) });

    beforeEach(async () => {
      directory = mkdtempSync(join(tmpdir(), 'parley-commit-'));
      db = await openSqliteDatabase(join(directory, 'commit.sqlite'));
      const users = knexRepositories(db).users;
      const add = (username: string) => users.add({ username: username as Username, passwordHash: 'h', createdAt: new Date(0) });
      [alice, bob] = [await add('alice'), await add('bob')];
      batches = [];
      const write = writer(db);
      const counting: QueueBatchWriter = (batch) => (batches.push(batch), write(batch));
      queue = new GroupCommitMessageQueue(db, counting);
    });

    afterEach(async () => {
      await queue.settle();
      await db.destroy();
      rmSync(directory, { recursive: true, force: true });
    });

    it('writes what many submitters give in one turn as one commit, answering each with its own', async () => {
      const written = await Promise.all(Array.from({ length: 20 }, (_, i) => queue.enqueue([{ recipientId: bob.id, message: hello(alice, `m${i}`) }])));
      expect(batches).to.have.length(1);
      expect(written.map(([queued]) => queued!.message.text)).to.deep.equal(Array.from({ length: 20 }, (_, i) => `m${i}`));
    });

    it('stores a commit of many private messages and a message to several, in the order submitted, with ascending ids', async () => {
      const toBoth: ChatMessage = { kind: 'group', from: { id: alice.id, username: alice.username }, fromAdmin: false, group: { id: 1, name: 'g', creator: alice.username }, text: 'to both', sentAt: new Date(0) };
      const sends = [
        ...Array.from({ length: 17 }, (_, i) => [{ recipientId: bob.id, message: hello(alice, `b${i}`) }]),
        [alice, bob].map((user) => ({ recipientId: user.id, message: toBoth })),
        ...Array.from({ length: 23 }, (_, i) => [{ recipientId: i % 2 ? alice.id : bob.id, message: hello(alice, `c${i}`) }]),
      ];
      await db('groups').insert({ id: 1, name: 'g', creator_id: alice.id, created_at: 0 });
      const written = (await Promise.all(sends.map((deliveries) => queue.enqueue(deliveries)))).flat();
      expect(batches).to.have.length(1);
      const ids = written.map((delivery) => delivery.id);
      expect(ids).to.deep.equal([...ids].sort((a, b) => a - b)).and.to.have.length(new Set(ids).size);
      for (const user of [alice, bob]) {
        const mine = written.filter((delivery) => delivery.recipientId === user.id);
        expect((await queue.pendingFor(user.id)).map(({ id, message }) => ({ id, text: message.text }))).to.deep.equal(mine.map(({ id, message }) => ({ id, text: message.text })));
      }

      // The next commit acknowledges all of bob's and stores more: its ids come after every earlier one.
      batches = [];
      const bobs = written.filter((delivery) => delivery.recipientId === bob.id).map((delivery) => delivery.id);
      const [removed, ...later] = await Promise.all([
        queue.acknowledge(bob.id, bobs),
        ...Array.from({ length: 20 }, (_, i) => queue.enqueue([{ recipientId: bob.id, message: hello(alice, `d${i}`) }])),
      ]);
      expect(batches).to.have.length(1);
      expect(removed).to.deep.equal(bobs);
      const laterIds = later.flat().map((delivery) => delivery.id);
      expect(laterIds[0]).to.be.above(Math.max(...ids));
      expect((await queue.pendingFor(bob.id)).map((delivery) => delivery.id)).to.deep.equal(laterIds);
    });

    it('refuses a send to a group deleted a moment earlier within the shared commit, writing the others in it once', async () => {
      await db('groups').insert({ id: 1, name: 'g', creator_id: alice.id, created_at: 0 });
      const toGroup: ChatMessage = { kind: 'group', from: { id: alice.id, username: alice.username }, fromAdmin: false, group: { id: 1, name: 'g', creator: alice.username }, text: 'late', sentAt: new Date(0) };
      await db('groups').where({ id: 1 }).del();
      const results = await Promise.allSettled([
        queue.enqueue([{ recipientId: bob.id, message: hello(alice, 'before') }]),
        queue.enqueue([{ recipientId: bob.id, message: toGroup }]),
        queue.enqueue([{ recipientId: bob.id, message: hello(alice, 'after') }]),
      ]);
      expect(results.map((result) => result.status)).to.deep.equal(['fulfilled', 'rejected', 'fulfilled']);
      expect(results[1]!.status === 'rejected' && results[1]!.reason).to.include({ code: 'UNKNOWN_GROUP' });
      // One commit: the refusal did not roll the others back to be written again one by one.
      expect(batches).to.have.length(1);
      expect((await queue.pendingFor(bob.id)).map((delivery) => delivery.message.text)).to.deep.equal(['before', 'after']);
    });

    it('leaves a member removed a moment earlier out of a group message within the shared commit', async () => {
      await db('groups').insert({ id: 1, name: 'g', creator_id: alice.id, created_at: 0 });
      const carol = await knexRepositories(db).users.add({ username: 'carol' as Username, passwordHash: 'h', createdAt: new Date(0) });
      const toGroup: ChatMessage = { kind: 'group', from: { id: alice.id, username: alice.username }, fromAdmin: false, group: { id: 1, name: 'g', creator: alice.username }, text: 'to the group', sentAt: new Date(0) };
      await db('users').where({ id: carol.id }).del();
      const [before, sent, after, refused] = await Promise.allSettled([
        queue.enqueue([{ recipientId: bob.id, message: hello(alice, 'before') }]),
        queue.send({ deliveries: [carol, bob].map((member) => ({ recipientId: member.id, message: toGroup })), maxQueued: 10, sentAt: new Date(0) }),
        queue.enqueue([{ recipientId: bob.id, message: hello(alice, 'after') }]),
        queue.send({ deliveries: [{ recipientId: carol.id, message: hello(alice, 'to carol') }], maxQueued: 10, sentAt: new Date(0) }),
      ]);
      expect([before, sent, after].map((result) => result.status)).to.deep.equal(['fulfilled', 'fulfilled', 'fulfilled']);
      expect(sent.status === 'fulfilled' && sent.value).to.deep.include({ recipients: 1, full: [] });
      expect(refused.status === 'rejected' && refused.reason).to.include({ code: 'UNKNOWN_USER' });
      // One commit: neither the member left out nor the refusal rolled the others back.
      expect(batches).to.have.length(1);
      expect((await queue.pendingFor(bob.id)).map((delivery) => delivery.message.text)).to.deep.equal(['before', 'to the group', 'after']);
    });

    it('lets acknowledgements ride along with the next delivery\'s commit', async () => {
      const [first] = await queue.enqueue([{ recipientId: bob.id, message: hello(alice, 'one') }]);
      batches = [];
      const [acknowledged, [second]] = await Promise.all([
        queue.acknowledge(bob.id, [first!.id]),
        queue.enqueue([{ recipientId: alice.id, message: hello(bob, 'two') }]),
      ]);
      expect(acknowledged).to.deep.equal([first!.id]);
      expect(second!.message.text).to.equal('two');
      expect(batches).to.have.length(1);
    });

    it('commits acknowledgements alone, a moment later, when no delivery comes', async () => {
      const [first] = await queue.enqueue([{ recipientId: bob.id, message: hello(alice, 'one') }]);
      await new Promise((resolve) => setImmediate(resolve));
      batches = [];
      const acknowledging = queue.acknowledge(bob.id, [first!.id, first!.id + 99]);
      await new Promise((resolve) => setImmediate(resolve));
      expect(batches, 'committed at once').to.have.length(0);
      expect(await acknowledging).to.deep.equal([first!.id]);
      expect(batches).to.have.length(1);
      expect(await queue.pendingFor(bob.id)).to.deep.equal([]);
    });

    it('commits a waiting acknowledgement at once when asked to settle, before the database closes', async () => {
      const [first] = await queue.enqueue([{ recipientId: bob.id, message: hello(alice, 'one') }]);
      const acknowledging = queue.acknowledge(bob.id, [first!.id]);
      await queue.settle();
      expect(await queue.countFor(bob.id)).to.equal(0);
      expect(await acknowledging).to.deep.equal([first!.id]);
    });
  });
}
