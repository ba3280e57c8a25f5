import { expect } from 'chai';
import { AccountService } from '../../application/account-service.js';
import { AdminService } from '../../application/admin-service.js';
import { DeliveryService } from '../../application/delivery-service.js';
import { FriendService } from '../../application/friend-service.js';
import { GroupService } from '../../application/group-service.js';
import { MessagingService } from '../../application/messaging-service.js';
import type { AuditEntry, AuditLog } from '../../application/ports/audit-log.js';
import { DEFAULT_LOGIN_THROTTLE_LIMITS } from '../../application/ports/login-throttle.js';
import type { User, Username } from '../../domain/index.js';
import { InProcessSessionHub } from '../../infrastructure/in-process-session-hub.js';
import { InMemoryLoginThrottle } from '../../infrastructure/memory/in-memory-login-throttle.js';
import { RandomTokenGenerator } from '../../infrastructure/random-token-generator.js';
import { openStorage, type Storage } from '../../infrastructure/storage.js';
import { cheapHasher, FixedClock, RecordingSink } from '../support/fakes.js';
import { refusalCode } from '../support/refusals.js';

class RecordingAuditLog implements AuditLog {
  readonly entries: AuditEntry[] = [];

  record(entry: AuditEntry): void {
    this.entries.push(entry);
  }
}

describe('passwords and account deletion', () => {
  const ip = '10.0.0.9';
  let storage: Storage;
  let sessions: InProcessSessionHub;
  let accounts: AccountService;
  let delivery: DeliveryService;
  let friends: FriendService;
  let groups: GroupService;
  let messaging: MessagingService;
  let admin: AdminService;
  let audit: RecordingAuditLog;
  let alice: User;
  let bob: User;
  let carol: User;
  let dora: User;

  const user = (name: string): Promise<User | undefined> => storage.repositories.users.byUsername(name as Username);
  const existing = async (name: string): Promise<User> => (await user(name))!;
  const attach = async (who: User): Promise<RecordingSink> => {
    const sink = new RecordingSink();
    await delivery.attach(who.id, sink);
    return sink;
  };
  const queueOf = async (who: User) => (await storage.repositories.messages.pendingFor(who.id)).map(({ message }) => `${message.from?.username ?? '-'}: ${message.text}`);

  beforeEach(async () => {
    storage = await openStorage('memory');
    sessions = new InProcessSessionHub();
    const clock = new FixedClock();
    // Two failures for an account from an address it never logged in from, then slowed.
    const throttle = new InMemoryLoginThrottle({ ...DEFAULT_LOGIN_THROTTLE_LIMITS, maxFailuresPerAccount: 2 });
    accounts = new AccountService(storage.repositories, storage.unitOfWork, cheapHasher(), new RandomTokenGenerator(), clock, sessions, throttle);
    delivery = new DeliveryService(storage.repositories, sessions);
    friends = new FriendService(storage.repositories, delivery, sessions, clock);
    groups = new GroupService(storage.repositories, storage.unitOfWork, delivery, sessions, clock);
    messaging = new MessagingService(storage.repositories, delivery, clock);
    audit = new RecordingAuditLog();
    admin = new AdminService(storage.repositories, groups, accounts, delivery, sessions, clock, audit);
    for (const name of ['alice', 'bob', 'carol', 'dora']) await accounts.register(name, 'correct horse');
    await accounts.promote('dora', true);
    [alice, bob, carol, dora] = await Promise.all([existing('alice'), existing('bob'), existing('carol'), existing('dora')]);
  });

  afterEach(() => storage.close());

  describe('passwd', () => {
    it('changes the password, answers a new token and ends every session that used the old one', async () => {
      const { token: old } = await accounts.login('alice', 'correct horse', ip);
      const listener = await attach(alice);
      const { token, user: view } = await accounts.changePassword(alice, 'correct horse', 'battery staple', ip);
      expect(view.username).to.equal('alice');
      expect(listener.kicks.map((k) => k.reason)).to.deep.equal(['PASSWORD_CHANGED']);
      expect(await refusalCode(accounts.authenticate(old))).to.equal('SESSION_EXPIRED');
      expect((await accounts.authenticate(token)).id).to.equal(alice.id);
      expect(await refusalCode(accounts.login('alice', 'correct horse', ip))).to.equal('WRONG_PASSWORD');
      expect((await accounts.login('alice', 'battery staple', ip)).user.username).to.equal('alice');
    });

    it('refuses a wrong current password, counting it as a failed login, and keeps the old one', async () => {
      expect(await refusalCode(accounts.changePassword(alice, 'wrong horse', 'battery staple', ip))).to.equal('WRONG_PASSWORD');
      expect(await refusalCode(accounts.changePassword(alice, 'wrong horse', 'battery staple', ip))).to.equal('WRONG_PASSWORD');
      // Slowed now, for passwd and login alike, even with the right password.
      expect(await refusalCode(accounts.changePassword(alice, 'correct horse', 'battery staple', ip))).to.equal('RATE_LIMITED');
      expect(await refusalCode(accounts.login('alice', 'correct horse', ip))).to.equal('RATE_LIMITED');
      expect(await cheapHasher().verify('correct horse', (await existing('alice')).passwordHash)).to.equal(true);
    });

    it('refuses a weak new password before checking the current one', async () => {
      for (let i = 0; i < 3; i++) expect(await refusalCode(accounts.changePassword(alice, 'wrong horse', 'short', ip))).to.equal('WEAK_PASSWORD');
      expect((await accounts.login('alice', 'correct horse', ip)).user.username).to.equal('alice');
    });
  });

  describe('resetpassword', () => {
    it('gives the user a new random password once, revokes their token, kicks them and is audited', async () => {
      const { token } = await accounts.login('alice', 'correct horse', ip);
      const listener = await attach(alice);
      const { user: listing, password } = await admin.resetPassword(dora, 'Alice');
      expect(listing).to.deep.equal({ username: 'alice', isAdmin: false, banned: false, online: false });
      expect(password).to.have.length.of.at.least(20);
      expect(listener.kicks.map((k) => k.reason)).to.deep.equal(['PASSWORD_CHANGED']);
      expect(await refusalCode(accounts.authenticate(token))).to.equal('SESSION_EXPIRED');
      expect(await refusalCode(accounts.login('alice', 'correct horse', ip))).to.equal('WRONG_PASSWORD');
      expect((await accounts.login('alice', password, ip)).user.username).to.equal('alice');
      expect(audit.entries).to.deep.equal([{ admin: 'dora', action: 'resetpassword', target: 'alice' }]);
    });

    it('is for admins only, and names an existing user', async () => {
      expect(await refusalCode(admin.resetPassword(bob, 'alice'))).to.equal('NOT_ADMIN');
      expect(await refusalCode(admin.resetPassword(dora, 'nobody'))).to.equal('UNKNOWN_USER');
      expect(audit.entries).to.deep.equal([]);
    });
  });

  describe('deleting an account', () => {
    /** alice: friends with bob, owns "team" (bob, carol), is in bob's "club"; one message waits for her, one from her for carol. */
    beforeEach(async () => {
      await friends.add(alice, 'bob');
      await friends.add(alice, 'carol');
      await groups.create(alice, 'team');
      await groups.invite(alice, { name: 'team' }, 'bob');
      await groups.invite(alice, { name: 'team' }, 'carol');
      await groups.create(bob, 'club');
      await groups.invite(bob, { name: 'club' }, 'alice');
      await messaging.sendPrivate(bob, 'alice', 'for alice');
      await messaging.sendPrivate(alice, 'carol', 'from alice');
    });

    it('needs the password again: a wrong one changes nothing and counts as a failed login', async () => {
      expect(await refusalCode(accounts.deleteOwnAccount(alice, 'wrong horse', ip))).to.equal('WRONG_PASSWORD');
      expect((await friends.list(bob)).items.map((f) => f.username)).to.deep.equal(['alice']);
      expect(await refusalCode(accounts.deleteOwnAccount(alice, 'wrong horse', ip))).to.equal('WRONG_PASSWORD');
      expect(await refusalCode(accounts.deleteOwnAccount(alice, 'correct horse', ip))).to.equal('RATE_LIMITED');
      expect(await user('alice')).to.not.equal(undefined);
    });

    it('drops the queue, friendships, memberships and owned groups; keeps what was sent; kicks the session', async () => {
      const listener = await attach(alice);
      const bobSink = await attach(bob);
      const replayed = bobSink.pushed.length;
      const view = await accounts.deleteOwnAccount(alice, 'correct horse', ip);
      expect(view.username).to.equal('alice');
      expect(listener.kicks).to.deep.equal([{ reason: 'ACCOUNT_DELETED', message: 'you deleted your account' }]);
      expect(await user('alice')).to.equal(undefined);
      expect(await refusalCode(accounts.login('alice', 'correct horse', ip))).to.equal('UNKNOWN_USER');
      // Friends on both sides, without a notice.
      expect((await friends.list(bob)).items).to.deep.equal([]);
      expect((await friends.list(carol)).items).to.deep.equal([]);
      // Her group is gone and its members told; she left bob's group silently.
      expect((await groups.list(bob)).items.map((g) => `${g.name}@${g.creator} ${g.total}`)).to.deep.equal(['club@bob 1']);
      expect((await groups.list(carol)).items).to.deep.equal([]);
      const notice = `alice: alice's account was deleted, and with it the group "team"`;
      expect(bobSink.pushed.slice(replayed).map((d) => `${d.message.kind} ${d.message.from?.username}: ${d.message.text}`)).to.deep.equal([`notice ${notice}`]);
      expect(await queueOf(carol)).to.include.members(['alice: from alice', notice]);
      // Sending to her now is refused as to anyone unknown.
      expect(await refusalCode(messaging.sendPrivate(bob, 'alice', 'still there?'))).to.equal('UNKNOWN_USER');
      expect(await storage.repositories.messages.countFor(alice.id)).to.equal(0);
    });

    it('frees the username: a newcomer who takes it starts with nothing', async () => {
      await accounts.deleteOwnAccount(alice, 'correct horse', ip);
      const again = await accounts.register('alice', 'another password');
      expect(again.id).to.not.equal(alice.id);
      const newcomer = await existing('alice');
      expect(await queueOf(newcomer)).to.deep.equal([]);
      expect((await friends.list(newcomer)).items).to.deep.equal([]);
      expect((await groups.list(newcomer)).items).to.deep.equal([]);
      expect(await storage.repositories.groups.countCreatedBy(newcomer.id)).to.equal(0);
      // The message the old alice sent still says who sent it.
      expect(await queueOf(carol)).to.include('alice: from alice');
    });

    it('by an admin: any account, kicked with its own reason, audited; others refused', async () => {
      expect(await refusalCode(admin.deleteUser(bob, 'alice'))).to.equal('NOT_ADMIN');
      expect(await refusalCode(admin.deleteUser(dora, 'nobody'))).to.equal('UNKNOWN_USER');
      const listener = await attach(alice);
      expect(await admin.deleteUser(dora, 'ALICE')).to.deep.equal({ username: 'alice', isAdmin: false, banned: false, online: false });
      expect(listener.kicks).to.deep.equal([{ reason: 'ACCOUNT_DELETED', message: 'an admin deleted your account' }]);
      expect(await user('alice')).to.equal(undefined);
      expect(await queueOf(bob)).to.include(`dora: alice's account was deleted, and with it the group "team"`);
      expect(audit.entries).to.deep.equal([{ admin: 'dora', action: 'deluser', target: 'alice' }]);
      // An admin may delete themself: the operator's promote makes another.
      await admin.deleteUser(dora, 'dora');
      expect(await user('dora')).to.equal(undefined);
    });
  });
});
