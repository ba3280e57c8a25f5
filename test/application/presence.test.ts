import { expect } from 'chai';
import { DeliveryService } from '../../application/delivery-service.js';
import { FriendService } from '../../application/friend-service.js';
import { GroupService } from '../../application/group-service.js';
import { PresenceService } from '../../application/presence-service.js';
import { AccountService } from '../../application/account-service.js';
import { DEFAULT_LOGIN_THROTTLE_LIMITS } from '../../application/ports/login-throttle.js';
import type { User } from '../../domain/index.js';
import { InProcessSessionHub } from '../../infrastructure/in-process-session-hub.js';
import { InMemoryLoginThrottle } from '../../infrastructure/memory/in-memory-login-throttle.js';
import { RandomTokenGenerator } from '../../infrastructure/random-token-generator.js';
import { openStorage, type Storage } from '../../infrastructure/storage.js';
import { cheapHasher, FixedClock, RecordingSink } from '../support/fakes.js';
import { eventually } from '../support/world.js';

const GRACE_MS = 50;

describe('presence', () => {
  let storage: Storage;
  let sessions: InProcessSessionHub;
  let delivery: DeliveryService;
  let presence: PresenceService;
  let alice: User;
  let bob: User;
  let carol: User;
  let dave: User;
  /** Attaches a connection of the user, as a login or `listen` does; its `detach` ends it. */
  const connect = async (user: User) => {
    const sink = new RecordingSink();
    const { detach } = await delivery.attach(user.id, sink);
    await presence.settled();
    return { sink, detach: async () => detach() };
  };

  beforeEach(async () => {
    storage = await openStorage('memory');
    sessions = new InProcessSessionHub({ presenceGraceMs: GRACE_MS });
    const clock = new FixedClock();
    const accounts = new AccountService(storage.repositories, storage.unitOfWork, cheapHasher(), new RandomTokenGenerator(), clock, sessions, new InMemoryLoginThrottle(DEFAULT_LOGIN_THROTTLE_LIMITS));
    delivery = new DeliveryService(storage.repositories, sessions);
    presence = new PresenceService(storage.repositories, sessions);
    const friends = new FriendService(storage.repositories, delivery, sessions, clock);
    const groups = new GroupService(storage.repositories, storage.unitOfWork, delivery, sessions, clock);
    const user = async (name: string) => (await storage.repositories.users.byId((await accounts.register(name, 'correct horse')).id))!;
    [alice, bob, carol, dave] = [await user('alice'), await user('bob'), await user('carol'), await user('dave')];
    // alice and bob are friends; bob, carol and dave share the group "team"; dave knows nobody else.
    await friends.add(alice, 'bob');
    await groups.create(bob, 'team');
    await groups.invite(bob, { name: 'team' }, 'carol');
    await groups.invite(bob, { name: 'team' }, 'dave');
  });

  afterEach(async () => {
    sessions.close();
    await storage.close();
  });

  it("tells a friend by name, and the user's group members only the groups' new counts", async () => {
    const [a, c] = [await connect(alice), await connect(carol)];
    const b = await connect(bob);
    expect(a.sink.notices).to.deep.equal([{ type: 'presence', username: 'bob', online: true }]);
    const team = { id: 1, name: 'team', total: 3 };
    expect(c.sink.notices).to.deep.equal([{ type: 'group-presence', groups: [{ ...team, online: 2 }] }]);
    expect(b.sink.notices).to.deep.equal([]);

    await b.detach();
    await eventually(async () => a.sink.notices.length === 2 && c.sink.notices.length === 2);
    await presence.settled();
    expect(a.sink.notices[1]).to.deep.equal({ type: 'presence', username: 'bob', online: false });
    expect(c.sink.notices[1]).to.deep.equal({ type: 'group-presence', groups: [{ ...team, online: 1 }] });
  });

  it('tells nobody who is offline, and nothing to people who share nothing with the user', async () => {
    const d = await connect(dave);
    const a = await connect(alice);
    // dave shares "team" with bob only, who is offline; alice is bob's friend, not dave's.
    expect(d.sink.notices).to.deep.equal([]);
    const c = await connect(carol);
    expect(a.sink.notices).to.deep.equal([]);
    expect(d.sink.notices).to.deep.equal([{ type: 'group-presence', groups: [{ id: 1, name: 'team', online: 2, total: 3 }] }]);
    expect(c.sink.notices).to.deep.equal([]);
  });

  it('announces nothing when the user reconnects inside the grace period', async () => {
    const a = await connect(alice);
    const first = await connect(bob);
    await first.detach();
    await connect(bob);
    // carol comes and goes after bob: once she is announced offline, bob would have been too.
    const heard: string[] = [];
    sessions.onPresence((userId, online) => heard.push(`${userId} ${online}`));
    const c = await connect(carol);
    await c.detach();
    await eventually(async () => heard.includes(`${carol.id} false`));
    await presence.settled();
    expect(a.sink.notices).to.deep.equal([{ type: 'presence', username: 'bob', online: true }]);
  });
});
