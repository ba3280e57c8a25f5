import { expect } from 'chai';
import { AccountService } from '../../application/account-service.js';
import { DEFAULT_LOGIN_THROTTLE_LIMITS } from '../../application/ports/login-throttle.js';
import { DeliveryService, MAX_HELD_PUSHES, REPLAY_PAGE_SIZE } from '../../application/delivery-service.js';
import { FriendService } from '../../application/friend-service.js';
import { MessagingService } from '../../application/messaging-service.js';
import { MESSAGE_MAX_LENGTH, type DomainError, type OfflineMessage, type User, type Username } from '../../domain/index.js';
import type { MessageQueue } from '../../application/ports/message-queue.js';
import type { UserRepository } from '../../application/ports/user-repository.js';
import { InProcessSessionHub } from '../../infrastructure/in-process-session-hub.js';
import { InMemoryLoginThrottle } from '../../infrastructure/memory/in-memory-login-throttle.js';
import { RandomTokenGenerator } from '../../infrastructure/random-token-generator.js';
import { openStorage, type Storage } from '../../infrastructure/storage.js';
import { refusalCode } from '../support/refusals.js';
import { cheapHasher, FixedClock, RecordingSink } from '../support/fakes.js';


describe('friends, messages and delivery', () => {
  let storage: Storage;
  let sessions: InProcessSessionHub;
  let delivery: DeliveryService;
  let friends: FriendService;
  let messaging: MessagingService;
  let alice: User;
  let bob: User;
  let carol: User;
  const texts = (sink: RecordingSink) => sink.pushed.map((d) => d.message.text);
  /** A delivery service whose backlog reads go through `around`, to stage what happens while a replay reads. */
  const deliveryReading = (around: (read: () => Promise<OfflineMessage[]>) => Promise<OfflineMessage[]>) => {
    const messages = storage.repositories.messages;
    const queue: MessageQueue = {
      enqueue: (deliveries) => messages.enqueue(deliveries),
      send: (message) => messages.send(message),
      acknowledge: (userId, ids) => messages.acknowledge(userId, ids),
      countFor: (userId) => messages.countFor(userId),
      countAll: () => messages.countAll(),
      pendingFor: (userId, options) => around(() => messages.pendingFor(userId, options)),
    };
    return new DeliveryService({ ...storage.repositories, messages: queue }, sessions);
  };

  beforeEach(async () => {
    storage = await openStorage('memory');
    sessions = new InProcessSessionHub();
    const clock = new FixedClock();
    const accounts = new AccountService(storage.repositories, storage.unitOfWork, cheapHasher(), new RandomTokenGenerator(), clock, sessions, new InMemoryLoginThrottle(DEFAULT_LOGIN_THROTTLE_LIMITS));
    delivery = new DeliveryService(storage.repositories, sessions);
    friends = new FriendService(storage.repositories, delivery, sessions, clock);
    messaging = new MessagingService(storage.repositories, delivery, clock);
    const user = async (name: string) => (await storage.repositories.users.byId((await accounts.register(name, 'correct horse')).id))!;
    [alice, bob, carol] = [await user('alice'), await user('bob'), await user('carol')];
  });

  afterEach(() => storage.close());

  describe('friends', () => {
    it('are made both ways at once, and the other is told', async () => {
      const bobSink = new RecordingSink();
      await delivery.attach(bob.id, bobSink);
      expect(await friends.add(alice, 'BOB')).to.deep.equal({ username: 'bob', isAdmin: false, banned: false, online: true });
      expect((await friends.list(bob)).items.map((f) => f.username)).to.deep.equal(['alice']);
      expect(bobSink.pushed.map((d) => [d.message.kind, d.message.text])).to.deep.equal([['notice', 'alice added you as a friend']]);
    });

    it('refuse an unknown user, an existing friend and yourself', async () => {
      await friends.add(alice, 'bob');
      expect(await refusalCode(friends.add(alice, 'nobody'))).to.equal('UNKNOWN_USER');
      expect(await refusalCode(friends.add(bob, 'alice'))).to.equal('ALREADY_FRIENDS');
      expect(await refusalCode(friends.add(alice, 'alice'))).to.equal('CANNOT_BEFRIEND_SELF');
    });

    it('are listed in the order they registered, with who is online, a page at a time', async () => {
      await friends.add(alice, 'carol');
      await friends.add(alice, 'bob');
      await delivery.attach(carol.id, new RecordingSink());
      expect(await friends.list(alice)).to.deep.equal({
        items: [
          { username: 'bob', isAdmin: false, banned: false, online: false },
          { username: 'carol', isAdmin: false, banned: false, online: true },
        ],
        nextCursor: null,
      });
      const first = await friends.list(alice, { limit: 1 });
      expect(first.items).to.deep.equal([{ username: 'bob', isAdmin: false, banned: false, online: false }]);
      expect(await friends.list(alice, { limit: 1, cursor: first.nextCursor! })).to.deep.equal({ items: [{ username: 'carol', isAdmin: false, banned: false, online: true }], nextCursor: null });
    });
  });

  describe('private messages', () => {
    beforeEach(() => friends.add(alice, 'bob'));

    it('are pushed to an attached friend at once and kept until acknowledged', async () => {
      const sink = new RecordingSink();
      await delivery.attach(bob.id, sink);
      sink.pushed.length = 0;
      const sent = await messaging.sendPrivate(alice, 'bob', 'hi bob');
      expect(sink.pushed).to.have.length(1);
      expect(sink.pushed[0]).to.deep.include({ id: sent.id, recipientId: bob.id });
      expect(sink.pushed[0]!.message).to.deep.include({ kind: 'private', text: 'hi bob', fromAdmin: false });
      expect(await storage.repositories.messages.countFor(bob.id)).to.equal(2);
      await delivery.acknowledge(bob.id, sink.pushed.map((d) => d.id));
      expect((await storage.repositories.messages.pendingFor(bob.id)).map((d) => d.message.kind)).to.deep.equal(['notice']);
    });

    it('wait for an offline friend and arrive oldest first when they attach', async () => {
      for (const text of ['one', 'two', 'three']) await messaging.sendPrivate(alice, 'bob', text);
      const sink = new RecordingSink();
      const { replayed } = await delivery.attach(bob.id, sink);
      expect(replayed).to.equal(4);
      expect(texts(sink)).to.deep.equal(['alice added you as a friend', 'one', 'two', 'three']);
    });

    it('keep one order when a message arrives in the middle of a long replay', async () => {
      const backlog = REPLAY_PAGE_SIZE + 50;
      for (let i = 0; i < backlog; i++) await messaging.sendPrivate(alice, 'bob', `m${i}`);
      let letGo!: () => void;
      const sink = new RecordingSink();
      sink.ready = () => new Promise<void>((resolve) => (letGo = resolve));
      const attaching = delivery.attach(bob.id, sink);
      while (!letGo) await new Promise((resolve) => setImmediate(resolve));
      await messaging.sendPrivate(alice, 'bob', 'live');
      expect(texts(sink).at(-1)).to.not.equal('live');
      letGo();
      await attaching;
      const ids = sink.pushed.map((d) => d.id);
      expect(ids).to.deep.equal([...ids].sort((a, b) => a - b));
      expect(new Set(ids).size).to.equal(ids.length);
      expect(texts(sink).at(-1)).to.equal('live');
      expect(sink.pushed).to.have.length(backlog + 2);
    });

    it('still pass on a live push whose lower id committed after the replay had read past it', async () => {
      for (let i = 0; i < 3; i++) await messaging.sendPrivate(alice, 'bob', `m${i}`);
      const [first] = await storage.repositories.messages.pendingFor(bob.id);
      // What a slow transaction's push looks like: an id below the page just read, not in that page.
      const late = { ...first!, id: first!.id - 1, message: { ...first!.message, text: 'late' } };
      let injected = false;
      const racing = deliveryReading(async (read) => {
        const page = await read();
        if (!injected) {
          injected = true;
          await sessions.deliver([late]);
        }
        return page;
      });
      const sink = new RecordingSink();
      await racing.attach(bob.id, sink);
      expect(texts(sink)).to.deep.equal(['alice added you as a friend', 'm0', 'm1', 'm2', 'late']);
    });

    it('cut off a connection whose replay holds back more live pushes than the limit, losing nothing queued', async () => {
      await messaging.sendPrivate(alice, 'bob', 'waiting');
      let letGo!: () => void;
      const sink = new RecordingSink();
      const slow = deliveryReading(async (read) => {
        if (!letGo) await new Promise<void>((resolve) => (letGo = resolve));
        return read();
      });
      const attaching = slow.attach(bob.id, sink);
      while (!letGo) await new Promise((resolve) => setImmediate(resolve));
      for (let i = 0; i <= MAX_HELD_PUSHES; i++) await messaging.sendPrivate(alice, 'bob', `live ${i}`);
      expect(sink.kicks.map((k) => k.reason)).to.deep.equal(['TOO_SLOW']);
      letGo();
      await attaching;
      expect(await storage.repositories.messages.countFor(bob.id)).to.equal(MAX_HELD_PUSHES + 3);
    });

    it('keep the order they were sent in, several in flight, though an earlier one takes longer to check', async () => {
      await friends.add(alice, 'carol');
      const users = storage.repositories.users;
      let slowOnce = true;
      // The same repository, but the first name lookup takes twenty turns of the event loop.
      const slowUsers: UserRepository = Object.assign(Object.create(users) as UserRepository, {
        byUsername: async (name: Username) => {
          if (slowOnce) {
            slowOnce = false;
            for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
          }
          return users.byUsername(name);
        },
      });
      const slowLookups = new MessagingService({ ...storage.repositories, users: slowUsers }, delivery, new FixedClock());
      const handed = [slowLookups.submitPrivate(alice, 'bob', 'first'), slowLookups.submitPrivate(alice, 'carol', 'second'), slowLookups.submitPrivate(alice, 'bob', 'third')];
      const sent = await Promise.all(handed.map((h) => h.stored));
      expect(sent.map((m) => m.id)).to.deep.equal([...sent.map((m) => m.id)].sort((x, y) => x - y));
      expect(new Set(sent.map((m) => m.id)).size).to.equal(3);
    });

    it('keep their order behind a slow send even when a send between them was refused at once', async () => {
      let letGo!: () => void;
      const users = storage.repositories.users;
      const slowUsers: UserRepository = Object.assign(Object.create(users) as UserRepository, {
        byUsername: async (name: Username) => {
          if (name === 'bob' && !letGo) await new Promise<void>((resolve) => (letGo = resolve));
          return users.byUsername(name);
        },
      });
      const slowLookups = new MessagingService({ ...storage.repositories, users: slowUsers }, delivery, new FixedClock());
      const first = slowLookups.submitPrivate(alice, 'bob', 'first');
      expect(await refusalCode(slowLookups.submitPrivate(alice, 'carol', 'refused').stored)).to.equal('NOT_FRIENDS');
      const third = slowLookups.submitPrivate(alice, 'bob', 'third');
      while (!letGo) await new Promise((resolve) => setImmediate(resolve));
      letGo();
      const [one, three] = await Promise.all([first.stored, third.stored]);
      expect(one.id).to.be.lessThan(three.id);
    });

    it('tell work that must follow them when they have been handed over, not held up by sends made meanwhile', async () => {
      const gates = new Map<string, () => void>();
      const users = storage.repositories.users;
      const heldUsers: UserRepository = Object.assign(Object.create(users) as UserRepository, {
        byUsername: async (name: Username) => {
          await new Promise<void>((resolve) => gates.set(name, resolve));
          return users.byUsername(name);
        },
      });
      await friends.add(alice, 'carol');
      const held = new MessagingService({ ...storage.repositories, users: heldUsers }, delivery, new FixedClock());
      expect(delivery.handedOver(alice.id), 'nothing in flight').to.equal(undefined);
      const first = held.submitPrivate(alice, 'bob', 'first');
      let handed = false;
      const waiting = delivery.handedOver(alice.id)!.then(() => (handed = true));
      const second = held.submitPrivate(alice, 'carol', 'second');
      while (!gates.has('bob') || !gates.has('carol')) await new Promise((resolve) => setImmediate(resolve));
      for (let turn = 0; turn < 5; turn++) await new Promise((resolve) => setImmediate(resolve));
      expect(handed, 'the first send is still being checked').to.equal(false);
      gates.get('bob')!();
      await waiting;
      expect(handed).to.equal(true);
      gates.get('carol')!();
      const [one, two] = await Promise.all([first.stored, second.stored]);
      expect(one.id).to.be.lessThan(two.id);
    });

    it('let a refused send go without holding up the next one', async () => {
      const [refused, accepted] = await Promise.allSettled([messaging.submitPrivate(alice, 'carol', 'no').stored, messaging.submitPrivate(alice, 'bob', 'yes').stored]);
      expect(refused.status === 'rejected' && refused.reason).to.include({ code: 'NOT_FRIENDS' });
      expect(accepted.status === 'fulfilled' && accepted.value.to).to.equal('bob');
    });

    it('stop replaying a long backlog once the connection has gone', async () => {
      for (let i = 0; i < 3 * REPLAY_PAGE_SIZE; i++) await messaging.sendPrivate(alice, 'bob', `m${i}`);
      let reads = 0;
      const counting = deliveryReading((read) => (reads++, read()));
      const sink = new RecordingSink();
      sink.ready = async () => {
        sink.gone = true;
      };
      await counting.attach(bob.id, sink);
      expect(reads).to.equal(1);
      expect(sink.pushed).to.have.length(REPLAY_PAGE_SIZE);
      expect(await storage.repositories.messages.countFor(bob.id)).to.equal(3 * REPLAY_PAGE_SIZE + 1);
    });

    it('are refused to a non-friend, yourself and nobody, and when empty or too long, naming the limit', async () => {
      expect(await refusalCode(messaging.sendPrivate(alice, 'carol', 'hi'))).to.equal('NOT_FRIENDS');
      expect(await refusalCode(messaging.sendPrivate(alice, 'alice', 'hi'))).to.equal('CANNOT_MESSAGE_SELF');
      expect(await refusalCode(messaging.sendPrivate(alice, 'nobody', 'hi'))).to.equal('UNKNOWN_USER');
      expect(await refusalCode(messaging.sendPrivate(alice, 'bob', '   '))).to.equal('EMPTY_MESSAGE');
      const tooLong = messaging.sendPrivate(alice, 'bob', 'x'.repeat(MESSAGE_MAX_LENGTH + 1));
      const error = await tooLong.catch((e: DomainError) => e);
      expect(error).to.include({ code: 'MESSAGE_TOO_LONG' });
      expect((error as DomainError).message).to.contain(String(MESSAGE_MAX_LENGTH));
      expect(await storage.repositories.messages.countFor(carol.id)).to.equal(0);
      expect(await storage.repositories.messages.countFor(bob.id)).to.equal(1);
    });

    it('carry the admin tag when an admin sends them', async () => {
      await storage.repositories.users.setAdmin(alice.id, true);
      const admin = (await storage.repositories.users.byId(alice.id))!;
      await messaging.sendPrivate(admin, 'bob', 'hello from staff');
      const [, message] = await storage.repositories.messages.pendingFor(bob.id);
      expect(message!.message).to.deep.include({ fromAdmin: true });
    });
  });

  describe('client message ids and the quota', () => {
    it('answer a retried send with the first id and time, pushing nothing twice', async () => {
      await friends.add(alice, 'bob');
      const bobSink = new RecordingSink();
      await delivery.attach(bob.id, bobSink);
      const clock = new FixedClock();
      const sending = new MessagingService(storage.repositories, delivery, clock);
      const first = await sending.sendPrivate(alice, 'bob', 'once', 'id-1');
      clock.current = new Date('2026-11-25T13:00:00Z');
      expect(await sending.sendPrivate(alice, 'bob', 'once', 'id-1')).to.deep.equal(first);
      expect(texts(bobSink).filter((text) => text === 'once')).to.have.length(1);
      expect((await sending.sendPrivate(alice, 'bob', 'once', 'id-2')).id).to.be.greaterThan(first.id);
    });

    it('refuse a send to a full queue with QUEUE_FULL naming the limit and the recipient, storing nothing', async () => {
      await friends.add(alice, 'bob');
      const limited = new DeliveryService(storage.repositories, sessions, 2);
      const sending = new MessagingService(storage.repositories, limited, new FixedClock());
      // The friend-added notice counts: one send fills the queue.
      await sending.sendPrivate(alice, 'bob', 'fills it');
      const refused = (await sending.sendPrivate(alice, 'bob', 'one too many', 'id-3').catch((error: unknown) => error)) as DomainError;
      expect([refused.code, refused.details]).to.deep.equal(['QUEUE_FULL', { limit: 2, recipient: 'bob' }]);
      expect(await storage.repositories.messages.countFor(bob.id)).to.equal(2);
      const [oldest] = await storage.repositories.messages.pendingFor(bob.id);
      await limited.acknowledge(bob.id, [oldest!.id]);
      expect((await sending.sendPrivate(alice, 'bob', 'one too many', 'id-3')).to).to.equal('bob');
    });
  });

  describe('acknowledgement', () => {
    it('removes your own ids and names the others as unknown, touching nobody else\'s', async () => {
      await friends.add(alice, 'bob');
      await friends.add(carol, 'alice');
      const [forBob] = (await storage.repositories.messages.pendingFor(bob.id)).map((d) => d.id);
      const [forAlice] = (await storage.repositories.messages.pendingFor(alice.id)).map((d) => d.id);
      expect(await delivery.acknowledge(bob.id, [forBob!, forAlice!, 424242, forBob!])).to.deep.equal({
        acknowledged: [forBob],
        unknown: [forAlice, 424242],
      });
      expect(await storage.repositories.messages.countFor(bob.id)).to.equal(0);
      expect(await storage.repositories.messages.countFor(alice.id)).to.equal(1);
    });

    it('is safe to repeat: a retried ack changes nothing and says the ids are gone', async () => {
      await friends.add(alice, 'bob');
      const [forBob] = (await storage.repositories.messages.pendingFor(bob.id)).map((d) => d.id);
      expect(await delivery.acknowledge(bob.id, [forBob!])).to.deep.equal({ acknowledged: [forBob], unknown: [] });
      expect(await delivery.acknowledge(bob.id, [forBob!])).to.deep.equal({ acknowledged: [], unknown: [forBob] });
    });
  });
});
