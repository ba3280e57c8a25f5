import { expect } from 'chai';
import type { Delivery } from '../../application/ports/message-queue.js';
import type { Storage } from '../../infrastructure/storage.js';
import type { ChatMessage, GroupRef, User } from '../../domain/index.js';
import { at, rejection, storageFixture, tamper } from './storage-fixture.js';

export function describeMessageQueue(name: string, open: () => Promise<Storage>): void {
  describe(`MessageQueue: ${name}`, () => {
    const fixture = storageFixture(open);
    const messages = () => fixture.storage.repositories.messages;
    let alice: User;
    let bob: User;
    const privateFrom = (user: User, text: string, ms = 0): ChatMessage => ({
      kind: 'private',
      from: { id: user.id, username: user.username },
      fromAdmin: false,
      text,
      sentAt: at(ms),
    });
    const to = (recipient: User, message: ChatMessage): Delivery => ({ recipientId: recipient.id, message });
    /**
     * Writes `late` in the same moment as a message from alice to bob before it and one after
     * it, checks that both of those are kept, and gives how `late` settled.
     */
    const betweenOthers = async (late: () => Promise<unknown>): Promise<PromiseSettledResult<unknown>> => {
      const [before, outcome, after] = await Promise.allSettled([
        messages().enqueue([to(bob, privateFrom(alice, 'before'))]),
        late(),
        messages().enqueue([to(bob, privateFrom(alice, 'after'))]),
      ]);
      expect(before.status).to.equal('fulfilled');
      expect(after.status).to.equal('fulfilled');
      expect((await messages().pendingFor(bob.id)).map((d) => d.message.text)).to.deep.equal(['before', 'after']);
      return outcome!;
    };
    beforeEach(async () => {
      [alice, bob] = [await fixture.addUser('alice'), await fixture.addUser('bob')];
    });

    it('gives back every kind of message as it was queued: admin flags, groups, topics, emoji and all', async () => {
      const team = await fixture.storage.repositories.groups.create({ name: 'team 🚀', creatorId: alice.id, createdAt: at(0) });
      const group: GroupRef = { id: team.id, name: team.name, creator: alice.username };
      const sent: ChatMessage[] = [
        privateFrom(alice, 'hi 👋\n\tsecond line, "quoted" \\ {"json": true}', 1),
        { kind: 'private', from: { id: alice.id, username: alice.username }, fromAdmin: true, text: 'from the admin 🛡️', sentAt: at(2) },
        { kind: 'group', from: { id: alice.id, username: alice.username }, fromAdmin: false, group, text: 'to all 👨‍👩‍👧', sentAt: at(3) },
        { kind: 'group', from: { id: alice.id, username: alice.username }, fromAdmin: true, group, text: 'admin to all', sentAt: at(4) },
        { kind: 'notice', topic: 'group-invited', from: { id: alice.id, username: alice.username }, group, text: 'alice added you to team 🚀', sentAt: at(5) },
        { kind: 'notice', topic: 'friend-added', from: { id: alice.id, username: alice.username }, group: null, text: 'alice is your friend', sentAt: at(6) },
        { kind: 'notice', topic: 'group-kicked', from: null, group, text: 'you were removed', sentAt: at(7) },
      ];
      const queued = await messages().enqueue(sent.map((message) => to(bob, message)));
      expect(queued.map((q) => q.message)).to.deep.equal(sent);
      expect(queued.every((q) => q.recipientId === bob.id)).to.equal(true);
      expect(await messages().pendingFor(bob.id)).to.deep.equal(queued);
    });

    it('keeps a notice about a group after the group is deleted, and takes one queued afterwards', async () => {
      const team = await fixture.storage.repositories.groups.create({ name: 'team', creatorId: alice.id, createdAt: at(0) });
      const deleted: ChatMessage = {
        kind: 'notice',
        topic: 'group-deleted',
        from: { id: alice.id, username: alice.username },
        group: { id: team.id, name: 'team', creator: alice.username },
        text: 'alice deleted team',
        sentAt: at(1),
      };
      const invited: ChatMessage = { ...deleted, topic: 'group-invited', text: 'alice added you to team' };
      await messages().enqueue([to(bob, invited), to(bob, deleted)]);
      expect(await fixture.storage.repositories.groups.remove(team.id)).to.equal(true);
      await messages().enqueue([to(alice, deleted)]);
      expect((await messages().pendingFor(bob.id)).map((q) => q.message)).to.deep.equal([invited, deleted]);
      expect((await messages().pendingFor(alice.id)).map((q) => q.message)).to.deep.equal([deleted]);
    });

    it('queues a thousand deliveries in one call, ids ascending in the order given', async () => {
      const deliveries = Array.from({ length: 1000 }, (_, i) => (i % 3 ? to(alice, privateFrom(bob, `m${i}`, i)) : to(bob, privateFrom(alice, `m${i}`, i))));
      const queued = await messages().enqueue(deliveries);
      expect(queued.map((q) => [q.recipientId, q.message.text])).to.deep.equal(deliveries.map((d) => [d.recipientId, d.message.text]));
      const ids = queued.map((q) => q.id);
      expect(ids.every((id, i) => i === 0 || id > ids[i - 1]!)).to.equal(true);
      expect(await messages().pendingFor(alice.id)).to.deep.equal(queued.filter((q) => q.recipientId === alice.id));
      expect(await messages().pendingFor(bob.id)).to.deep.equal(queued.filter((q) => q.recipientId === bob.id));
      expect(await messages().countFor(bob.id)).to.equal(334);
      expect(await messages().countAll(), 'every recipient together').to.equal(1000);
      const [next] = await messages().enqueue([to(bob, privateFrom(alice, 'next'))]);
      expect(next!.id).to.be.greaterThan(ids.at(-1)!);
    });

    it('queues one message to many recipients, and runs of messages shared or not, with ids ascending in the order given', async () => {
      const members = [alice, bob, ...(await Promise.all(Array.from({ length: 118 }, (_, i) => fixture.addUser(`member${i}`))))];
      const team = await fixture.storage.repositories.groups.create({ name: 'team', creatorId: alice.id, createdAt: at(0) });
      const group: GroupRef = { id: team.id, name: team.name, creator: alice.username };
      const shared: ChatMessage = { kind: 'group', from: { id: alice.id, username: alice.username }, fromAdmin: false, group, text: 'to all 👋', sentAt: at(5) };
      const [before] = await messages().enqueue([to(bob, privateFrom(alice, 'before'))]);
      const deliveries = [...members.map((member) => to(member, shared)), to(alice, privateFrom(bob, 'alone')), to(bob, shared), to(alice, shared)];
      const queued = await messages().send({ deliveries, maxQueued: Infinity, sentAt: at(5) }).then((receipt) => receipt.queued);
      expect(queued.map((q) => [q.recipientId, q.message])).to.deep.equal(deliveries.map((d) => [d.recipientId, d.message]));
      const ids = queued.map((q) => q.id);
      expect(ids[0]).to.be.greaterThan(before!.id);
      expect(ids.every((id, i) => i === 0 || id > ids[i - 1]!)).to.equal(true);
      expect(await messages().pendingFor(members[60]!.id)).to.deep.equal([queued[60]]);
      expect(await messages().pendingFor(bob.id)).to.deep.equal([before, queued[1], queued[121]]);
      expect(await messages().countAll()).to.equal(124);
      expect(await messages().acknowledge(alice.id, [queued[122]!.id])).to.deep.equal([queued[122]!.id]);
      const [next] = await messages().enqueue([to(bob, privateFrom(alice, 'after'))]);
      expect(next!.id, 'the highest id, acknowledged, is not given again').to.be.greaterThan(ids.at(-1)!);
    });

    it('keeps each member\'s copy of a group message their own: replayed in id order among others, acknowledged in any order', async () => {
      const carol = await fixture.addUser('carol');
      const groupOf = async (name: string): Promise<GroupRef> => {
        const created = await fixture.storage.repositories.groups.create({ name, creatorId: alice.id, createdAt: at(0) });
        return { id: created.id, name, creator: alice.username };
      };
      const [team, club] = [await groupOf('team'), await groupOf('club')];
      const send = async (group: GroupRef, text: string, members: User[]) => {
        const message: ChatMessage = { kind: 'group', from: { id: alice.id, username: alice.username }, fromAdmin: false, group, text, sentAt: at(1) };
        return (await messages().send({ deliveries: members.map((member) => to(member, message)), maxQueued: 100, sentAt: at(1) })).queued;
      };
      const [g1bob, g1carol] = await send(team, 'g1', [bob, carol]);
      const [p1] = await messages().enqueue([to(bob, privateFrom(alice, 'p1'))]);
      const [g2bob] = await send(club, 'g2', [bob]);
      const [g3bob, g3carol] = await send(team, 'g3', [bob, carol]);
      // Bob is no longer in the team: the next message is carol's alone.
      const [g4carol] = await send(team, 'g4', [carol]);
      const texts = async (user: User, options?: { after?: number; limit?: number }) => (await messages().pendingFor(user.id, options)).map((q) => q.message.text);
      expect(await messages().pendingFor(bob.id)).to.deep.equal([g1bob, p1, g2bob, g3bob]);
      expect(await messages().pendingFor(carol.id)).to.deep.equal([g1carol, g3carol, g4carol]);
      expect(await texts(bob, { after: g1bob!.id, limit: 2 })).to.deep.equal(['p1', 'g2']);
      expect(await texts(carol, { after: g1carol!.id })).to.deep.equal(['g3', 'g4']);

      // Out of order, and only bob's own copies: carol's of the same messages stay.
      expect(await messages().acknowledge(bob.id, [g3bob!.id])).to.deep.equal([g3bob!.id]);
      expect(await messages().acknowledge(bob.id, [g3bob!.id, g1carol!.id, g3carol!.id])).to.deep.equal([]);
      expect(await texts(bob)).to.deep.equal(['g1', 'p1', 'g2']);
      expect(await texts(carol)).to.deep.equal(['g1', 'g3', 'g4']);
      expect([await messages().countFor(bob.id), await messages().countFor(carol.id), await messages().countAll()]).to.deep.equal([3, 3, 6]);

      expect(await messages().acknowledge(bob.id, [g2bob!.id, g1bob!.id])).to.deep.equal([g1bob!.id, g2bob!.id]);
      expect(await texts(bob)).to.deep.equal(['p1']);
      expect(await messages().acknowledge(carol.id, [g4carol!.id, g1carol!.id, g3carol!.id])).to.deep.equal([g1carol!.id, g3carol!.id, g4carol!.id]);
      expect([await messages().countFor(carol.id), await messages().countAll()]).to.deep.equal([0, 1]);
    });

    it('queues nothing for an empty call', async () => {
      expect(await messages().enqueue([])).to.deep.equal([]);
      expect(await messages().countFor(bob.id)).to.equal(0);
    });

    it('lists what waits oldest first, after a cursor and up to a limit', async () => {
      const queued = await messages().enqueue(['a', 'b'].map((text) => to(bob, privateFrom(alice, text, 9))));
      await messages().enqueue([to(alice, privateFrom(bob, 'not yours'))]);
      queued.push(...(await messages().enqueue(['c', 'd'].map((text) => to(bob, privateFrom(alice, text, 1))))));
      const texts = async (options?: { after?: number; limit?: number }) => (await messages().pendingFor(bob.id, options)).map((q) => q.message.text);
      expect(await texts()).to.deep.equal(['a', 'b', 'c', 'd']);
      expect(await texts({ after: queued[1]!.id })).to.deep.equal(['c', 'd']);
      expect(await texts({ limit: 3 })).to.deep.equal(['a', 'b', 'c']);
      expect(await texts({ after: queued[0]!.id, limit: 2 })).to.deep.equal(['b', 'c']);
      expect(await texts({ after: queued[3]!.id })).to.deep.equal([]);
      expect(await texts({ limit: 0 })).to.deep.equal([]);
      expect(await messages().pendingFor(4242)).to.deep.equal([]);
    });

    it('acknowledges only the recipient\'s own ids, ignoring unknown ones and other people\'s', async () => {
      const [m1, m2, m3] = await messages().enqueue([to(bob, privateFrom(alice, 'one')), to(bob, privateFrom(alice, 'two')), to(bob, privateFrom(alice, 'three'))]);
      const [forAlice] = await messages().enqueue([to(alice, privateFrom(bob, 'mine'))]);
      expect(await messages().acknowledge(bob.id, [m3!.id, forAlice!.id, 999_999, m1!.id, m3!.id])).to.have.members([m1!.id, m3!.id]).and.length(2);
      expect(await messages().acknowledge(bob.id, [m1!.id])).to.deep.equal([]);
      expect(await messages().acknowledge(bob.id, [])).to.deep.equal([]);
      // The wire takes any safe integer from 1: one larger than a column holds names nothing, and fails nothing.
      expect(await messages().acknowledge(bob.id, [2 ** 31, 2 ** 40, Number.MAX_SAFE_INTEGER, 0, -1])).to.deep.equal([]);
      expect((await messages().pendingFor(bob.id)).map((q) => q.id)).to.deep.equal([m2!.id]);
      expect(await messages().pendingFor(alice.id)).to.deep.equal([forAlice]);
      expect(await messages().countFor(bob.id)).to.equal(1);
      expect(await messages().countFor(alice.id)).to.equal(1);
    });

    it('acknowledges a run of ids, in any order, without touching another\'s rows among them or the recipient\'s ids left out', async () => {
      const mixed = await messages().enqueue(['b1', 'a1', 'b2', 'b3', 'b4', 'a2', 'b5'].map((text) => to(text.startsWith('a') ? alice : bob, privateFrom(alice, text))));
      const id = (text: string) => mixed.find((q) => q.message.text === text)!.id;
      // As many ids as bob has rows in the range, but not the same ones: b2 stays, a1 is not his.
      expect(await messages().acknowledge(bob.id, [id('b3'), id('a1'), id('b1')])).to.have.members([id('b1'), id('b3')]).and.length(2);
      // Every row of his in the range, out of order and repeated, with alice's a2 in the middle.
      expect(await messages().acknowledge(bob.id, [id('b5'), id('b2'), id('b4'), id('b2')])).to.have.members([id('b2'), id('b4'), id('b5')]).and.length(3);
      expect(await messages().pendingFor(bob.id)).to.deep.equal([]);
      expect((await messages().pendingFor(alice.id)).map((q) => q.message.text)).to.deep.equal(['a1', 'a2']);
      expect(await messages().countFor(bob.id)).to.equal(0);
      expect(await messages().countFor(alice.id)).to.equal(2);
    });

    it('acknowledges a long list of ids in one call', async () => {
      const queued = await messages().enqueue(Array.from({ length: 1200 }, (_, i) => to(bob, privateFrom(alice, `m${i}`))));
      const kept = queued[600]!;
      const ids = queued.filter((q) => q !== kept).map((q) => q.id);
      const removed = await messages().acknowledge(bob.id, [...ids, ...ids.map((id) => id + 100_000)]);
      expect([...removed].sort((a, b) => a - b)).to.deep.equal(ids);
      expect(await messages().pendingFor(bob.id)).to.deep.equal([kept]);
    });

    it('never hands out an id again, even once its message is acknowledged', async () => {
      const [first, second] = await messages().enqueue([to(bob, privateFrom(alice, 'one')), to(bob, privateFrom(alice, 'two'))]);
      await messages().acknowledge(bob.id, [first!.id, second!.id]);
      expect(await messages().countFor(bob.id)).to.equal(0);
      const [third] = await messages().enqueue([to(bob, privateFrom(alice, 'three'))]);
      expect(third!.id).to.be.greaterThan(second!.id);
    });

    it('refuses a batch with a delivery to nobody, queueing none of it', async () => {
      const error = await rejection(messages().enqueue([to(bob, privateFrom(alice, 'fine')), { recipientId: 4242, message: privateFrom(alice, 'lost') }]));
      expect(error).to.include({ code: 'UNKNOWN_USER' });
      expect(await messages().countFor(bob.id)).to.equal(0);
    });

    it('fails only the submitter whose delivery names a deleted group; others written at the same moment are kept', async () => {
      const team = await fixture.storage.repositories.groups.create({ name: 'team', creatorId: alice.id, createdAt: at(0) });
      const ref: GroupRef = { id: team.id, name: 'team', creator: alice.username };
      await fixture.storage.repositories.groups.remove(team.id);
      const groupMessage = { kind: 'group' as const, from: { id: alice.id, username: alice.username }, fromAdmin: false, group: ref, text: 'late', sentAt: at(1) };
      const late = await betweenOthers(() => messages().enqueue([{ recipientId: bob.id, message: groupMessage }]));
      expect(late.status === 'rejected' && late.reason).to.include({ code: 'UNKNOWN_GROUP' });
    });

    it('refuses a message from a sender removed a moment earlier, and keeps the others written at the same moment', async () => {
      const carol = await fixture.addUser('carol');
      await fixture.storage.repositories.users.remove(carol.id);
      const late = await betweenOthers(() => messages().send({ deliveries: [to(bob, privateFrom(carol, 'late'))], maxQueued: 10, sentAt: at(1) }));
      expect(late.status === 'rejected' && late.reason).to.include({ code: 'UNKNOWN_USER' });
    });

    it('leaves out of a group message or notice a member removed a moment earlier, and stores it for the others', async () => {
      const [carol, dave] = [await fixture.addUser('carol'), await fixture.addUser('dave')];
      const team = await fixture.storage.repositories.groups.create({ name: 'team', creatorId: alice.id, createdAt: at(0) });
      const group: GroupRef = { id: team.id, name: 'team', creator: alice.username };
      const toTeam = (text: string): ChatMessage => ({ kind: 'group', from: { id: alice.id, username: alice.username }, fromAdmin: false, group, text, sentAt: at(1) });
      await fixture.storage.repositories.users.remove(dave.id);
      const late = await betweenOthers(() => messages().send({ deliveries: [carol, dave].map((member) => to(member, toTeam('sent'))), maxQueued: 10, sentAt: at(1) }));
      expect(late.status === 'fulfilled' && late.value).to.deep.include({ repeat: false, recipients: 1, full: [] });
      // A system message to the group, and a notice to its members (enqueue), follow the same rule.
      const announced = await messages().enqueue([dave, carol].map((member) => to(member, toTeam('announced'))));
      expect(announced.map((delivery) => delivery.recipientId)).to.deep.equal([carol.id]);
      const notice: ChatMessage = { kind: 'notice', topic: 'group-deleted', from: { id: alice.id, username: alice.username }, group, text: 'team deleted', sentAt: at(2) };
      const noticed = await messages().enqueue([carol, dave].map((member) => to(member, notice)));
      expect(noticed.map((delivery) => delivery.recipientId)).to.deep.equal([carol.id]);
      expect((await messages().pendingFor(carol.id)).map((delivery) => delivery.message.text)).to.deep.equal(['sent', 'announced', 'team deleted']);
      // A private message to the removed member is refused, as before.
      const refused = await rejection(messages().send({ deliveries: [to(dave, privateFrom(alice, 'gone'))], maxQueued: 10, sentAt: at(2) }));
      expect(refused).to.include({ code: 'UNKNOWN_USER' });
    });

    it('still delivers what a removed sender queued, and a deleted group\'s messages, as they were', async () => {
      const carol = await fixture.addUser('carol');
      const team = await fixture.storage.repositories.groups.create({ name: 'team', creatorId: alice.id, createdAt: at(0) });
      const group: GroupRef = { id: team.id, name: 'team', creator: alice.username };
      const sent: ChatMessage[] = [
        privateFrom(carol, 'from carol'),
        { kind: 'group', from: { id: alice.id, username: alice.username }, fromAdmin: false, group, text: 'to the team', sentAt: at(1) },
      ];
      const queued = await messages().enqueue(sent.map((message) => to(bob, message)));
      await fixture.storage.repositories.users.remove(carol.id);
      await fixture.storage.repositories.groups.remove(team.id);
      expect(await messages().pendingFor(bob.id)).to.deep.equal(queued);
    });

    it('numbers concurrent writes in the order they were submitted, and answers each with its own', async () => {
      const written = await Promise.all(Array.from({ length: 50 }, (_, i) => messages().enqueue([to(i % 2 ? bob : alice, privateFrom(alice, `n${i}`))])));
      const ids = written.map(([queued]) => queued!.id);
      expect(ids).to.deep.equal([...ids].sort((a, b) => a - b));
      expect(written.map(([queued]) => queued!.message.text)).to.deep.equal(Array.from({ length: 50 }, (_, i) => `n${i}`));
      expect((await messages().pendingFor(bob.id)).map((d) => d.message.text)).to.deep.equal(Array.from({ length: 25 }, (_, i) => `n${2 * i + 1}`));
    });

    it('acknowledges for several recipients at once without touching anyone else\'s', async () => {
      const [b1, b2] = await messages().enqueue([to(bob, privateFrom(alice, 'b1')), to(bob, privateFrom(alice, 'b2'))]);
      const [a1] = await messages().enqueue([to(alice, privateFrom(bob, 'a1'))]);
      const [forBob, forAlice, bobAgain] = await Promise.all([
        messages().acknowledge(bob.id, [b2!.id, a1!.id]),
        messages().acknowledge(alice.id, [a1!.id, b1!.id]),
        messages().acknowledge(bob.id, [b2!.id]),
      ]);
      expect(forBob).to.deep.equal([b2!.id]);
      expect(forAlice).to.deep.equal([a1!.id]);
      expect(bobAgain).to.deep.equal([]);
      expect((await messages().pendingFor(bob.id)).map((d) => d.id)).to.deep.equal([b1!.id]);
    });

    it('keeps its own copies: neither the caller\'s message nor what it hands out can change the queue', async () => {
      const message = privateFrom(alice, 'original', 1);
      const [queued] = await messages().enqueue([to(bob, message)]);
      tamper(message).text = 'changed by the sender';
      message.sentAt.setTime(0);
      tamper(queued!.message).text = 'changed by the reader';
      const [pending] = await messages().pendingFor(bob.id);
      tamper(pending!.message.from!).username = 'mallory' as typeof alice.username;
      tamper(pending!).recipientId = alice.id;
      const [again] = await messages().pendingFor(bob.id);
      expect(again!.message).to.deep.equal(privateFrom(alice, 'original', 1));
      expect(again!.recipientId).to.equal(bob.id);
    });

    describe('send: client message ids and the quota', () => {
      let carol: User;
      const key = (sender: User, clientMsgId: string) => ({ senderId: sender.id, clientMsgId });
      const sendTo = (recipients: User[], text: string, options: { key?: ReturnType<typeof key>; maxQueued?: number } = {}) => {
        const message = privateFrom(alice, text, 5);
        return messages().send({ deliveries: recipients.map((r) => to(r, message)), key: options.key, maxQueued: options.maxQueued ?? 100, sentAt: message.sentAt });
      };
      beforeEach(async () => {
        carol = await fixture.addUser('carol');
      });

      it('answers a repeat of a client message id with the first receipt, storing nothing more, even after acknowledgement', async () => {
        const first = await sendTo([bob], 'once', { key: key(alice, 'm-1') });
        expect(first).to.include({ repeat: false, firstId: first.queued[0]!.id, recipients: 1 });
        expect(first.sentAt).to.deep.equal(at(5));
        await messages().acknowledge(bob.id, [first.firstId!]);
        const again = await sendTo([bob], 'once', { key: key(alice, 'm-1') });
        expect(again).to.deep.equal({ ...first, repeat: true, queued: [] });
        expect(await messages().countFor(bob.id)).to.equal(0);
        const other = await sendTo([bob], 'other sender, same id', { key: key(bob, 'm-1') });
        expect(other.repeat).to.equal(false);
      });

      it('tells a repeat submitted at the same moment as the first, storing it once', async () => {
        const [first, second] = await Promise.all([1, 2].map(() => sendTo([bob, carol], 'same', { key: key(alice, 'k') })));
        expect([first!.repeat, second!.repeat]).to.deep.equal([false, true]);
        expect(second!.firstId).to.equal(first!.firstId);
        expect(second!.recipients).to.equal(2);
        expect((await messages().pendingFor(bob.id)).map((d) => d.message.text)).to.deep.equal(['same']);
        expect(await messages().countFor(carol.id)).to.equal(1);
      });

      it('leaves out a recipient whose queue is full, also when the sends that fill it are written together', async () => {
        const sends = await Promise.all(Array.from({ length: 5 }, (_, i) => sendTo([bob], `m${i}`, { maxQueued: 3 })));
        expect(sends.map((sent) => sent.recipients)).to.deep.equal([1, 1, 1, 0, 0]);
        expect(sends[4]!.full).to.deep.equal([bob.id]);
        expect(await messages().countFor(bob.id)).to.equal(3);
        const group = await sendTo([bob, carol], 'to both', { maxQueued: 3, key: key(alice, 'g') });
        expect(group).to.include({ recipients: 1 });
        expect(group.full).to.deep.equal([bob.id]);
        expect(group.queued.map((d) => d.recipientId)).to.deep.equal([carol.id]);
        const [oldest] = await messages().pendingFor(bob.id);
        await messages().acknowledge(bob.id, [oldest!.id]);
        expect((await sendTo([bob], 'room again', { maxQueued: 3 })).recipients).to.equal(1);
      });

      it('counts group messages towards each member\'s quota, and frees room as that member acknowledges', async () => {
        const team = await fixture.storage.repositories.groups.create({ name: 'team', creatorId: alice.id, createdAt: at(0) });
        const group: GroupRef = { id: team.id, name: 'team', creator: alice.username };
        const toTeam = (text: string) => {
          const message: ChatMessage = { kind: 'group', from: { id: alice.id, username: alice.username }, fromAdmin: false, group, text, sentAt: at(1) };
          return messages().send({ deliveries: [bob, carol].map((member) => to(member, message)), maxQueued: 3, sentAt: at(1) });
        };
        for (const text of ['g1', 'g2']) await toTeam(text);
        await messages().acknowledge(carol.id, (await messages().pendingFor(carol.id)).map((d) => d.id));
        await sendTo([bob], 'private');
        const fourth = await toTeam('g3');
        expect([fourth.recipients, fourth.full]).to.deep.equal([1, [bob.id]]);
        const [oldest] = await messages().pendingFor(bob.id);
        await messages().acknowledge(bob.id, [oldest!.id]);
        expect((await toTeam('g4')).full).to.deep.equal([]);
        expect((await messages().pendingFor(bob.id)).map((d) => d.message.text)).to.deep.equal(['g2', 'private', 'g4']);
        expect((await messages().pendingFor(carol.id)).map((d) => d.message.text)).to.deep.equal(['g3', 'g4']);
      });

      it('counts notices queued by enqueue, in or out of a unit of work, towards the quota', async () => {
        await messages().enqueue([to(bob, privateFrom(alice, 'notice 1'))]);
        expect((await sendTo([bob], 'counted', { maxQueued: 3 })).recipients).to.equal(1);
        await fixture.storage.unitOfWork.run((repositories) => repositories.messages.enqueue([to(bob, privateFrom(alice, 'notice 2'))]));
        expect((await sendTo([bob], 'over', { maxQueued: 3 })).full).to.deep.equal([bob.id]);
      });

      it('records no client message id for a send that stored nothing, so its retry is weighed again', async () => {
        await sendTo([bob], 'fills', { maxQueued: 1 });
        expect((await sendTo([bob], 'refused', { key: key(alice, 'r'), maxQueued: 1 })).recipients).to.equal(0);
        const retry = await sendTo([bob], 'refused', { key: key(alice, 'r'), maxQueued: 2 });
        expect(retry).to.include({ repeat: false, recipients: 1 });
      });
    });
  });
}
