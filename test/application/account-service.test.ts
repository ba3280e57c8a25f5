import { expect } from 'chai';
import { AccountService } from '../../application/account-service.js';
import { DEFAULT_LOGIN_THROTTLE_LIMITS } from '../../application/ports/login-throttle.js';
import { InProcessSessionHub } from '../../infrastructure/in-process-session-hub.js';
import { InMemoryLoginThrottle } from '../../infrastructure/memory/in-memory-login-throttle.js';
import { RandomTokenGenerator } from '../../infrastructure/random-token-generator.js';
import { openStorage, type Storage } from '../../infrastructure/storage.js';
import { refusalCode } from '../support/refusals.js';
import type { Username } from '../../domain/index.js';
import { cheapHasher, FixedClock, RecordingSink } from '../support/fakes.js';


describe('AccountService', () => {
  let storage: Storage;
  let sessions: InProcessSessionHub;
  let accounts: AccountService;
  const tokens = new RandomTokenGenerator();

  beforeEach(async () => {
    storage = await openStorage('memory');
    sessions = new InProcessSessionHub();
    accounts = new AccountService(storage.repositories, storage.unitOfWork, cheapHasher(), tokens, new FixedClock(), sessions, new InMemoryLoginThrottle(DEFAULT_LOGIN_THROTTLE_LIMITS));
  });

  afterEach(async () => {
    sessions.close();
    await storage.close();
  });

  it('registers a user under the lower-cased name, never exposing the password hash', async () => {
    const user = await accounts.register('Alice', 'correct horse');
    expect(user).to.deep.equal({ id: user.id, username: 'alice', isAdmin: false, banned: false });
    const stored = await storage.repositories.users.byUsername(user.username as never);
    expect(stored!.passwordHash).to.match(/^scrypt\$/).and.not.contain('correct horse');
  });

  it('refuses a taken name whatever its case, an invalid name and a weak password', async () => {
    await accounts.register('alice', 'correct horse');
    expect(await refusalCode(accounts.register('ALICE', 'another password'))).to.equal('USERNAME_TAKEN');
    expect(await refusalCode(accounts.register('a!', 'correct horse'))).to.equal('INVALID_USERNAME');
    expect(await refusalCode(accounts.register('bob', 'short'))).to.equal('WEAK_PASSWORD');
    expect(await refusalCode(accounts.register('bob', ''))).to.equal('WEAK_PASSWORD');
    expect((await storage.repositories.users.all()).map((u) => u.username)).to.deep.equal(['alice']);
  });

  it('tells wrong password, unknown user and banned user apart', async () => {
    const alice = await accounts.register('alice', 'correct horse');
    expect(await refusalCode(accounts.login('alice', 'wrong horse', '127.0.0.1'))).to.equal('WRONG_PASSWORD');
    expect(await refusalCode(accounts.login('nobody', 'correct horse', '127.0.0.1'))).to.equal('UNKNOWN_USER');
    await storage.repositories.users.setBan(alice.id, { by: alice.id, at: new Date() });
    expect(await refusalCode(accounts.login('alice', 'correct horse', '127.0.0.1'))).to.equal('USER_BANNED');
  });

  it('logs a login in with a welcome and a token, stores only its hash, and records the peer', async () => {
    const alice = await accounts.register('alice', 'correct horse');
    const result = await accounts.login('Alice', 'correct horse', '10.1.2.3');
    expect(result.welcome).to.contain('alice');
    expect(result.user.isAdmin).to.equal(false);
    expect((await accounts.authenticate(result.token)).id).to.equal(alice.id);
    expect(await storage.repositories.users.byTokenHash(result.token)).to.equal(undefined);
    const logins = await storage.repositories.logins.recentFor(alice.id, 10);
    expect(logins.map((l) => l.ip)).to.deep.equal(['10.1.2.3']);
  });

  it('keeps one session per user: a new login kicks attached connections and voids the old token', async () => {
    await accounts.register('alice', 'correct horse');
    const first = await accounts.login('alice', 'correct horse', '127.0.0.1');
    const attached = new RecordingSink();
    await sessions.attach(first.user.id, attached);
    const second = await accounts.login('alice', 'correct horse', '127.0.0.1');
    expect(attached.kicks.map((k) => k.reason)).to.deep.equal(['SESSION_REPLACED']);
    await sessions.deliver([{ id: 1, recipientId: first.user.id, message: { kind: 'private', from: { id: first.user.id, username: 'alice' as Username }, fromAdmin: false, text: 'hi', sentAt: new Date(0) } }]);
    expect(attached.pushed).to.deep.equal([]);
    // A takeover is not the end of the session: alice still counts online while the newer login attaches.
    expect(await sessions.onlineAmong([first.user.id])).to.deep.equal(new Set([first.user.id]));
    expect(await refusalCode(accounts.authenticate(first.token))).to.equal('SESSION_EXPIRED');
    expect((await accounts.authenticate(second.token)).username).to.equal('alice');
  });

  it('ends the session server-side at logout', async () => {
    await accounts.register('alice', 'correct horse');
    const { token, user } = await accounts.login('alice', 'correct horse', '127.0.0.1');
    const attached = new RecordingSink();
    await sessions.attach(user.id, attached);
    await accounts.logout(token);
    expect(attached.kicks.map((k) => k.reason)).to.deep.equal(['LOGGED_OUT']);
    expect(await refusalCode(accounts.authenticate(token))).to.equal('SESSION_EXPIRED');
  });

  it('refuses a missing token and a banned user\'s live token', async () => {
    expect(await refusalCode(accounts.authenticate(undefined))).to.equal('NOT_AUTHENTICATED');
    const alice = await accounts.register('alice', 'correct horse');
    const { token } = await accounts.login('alice', 'correct horse', '127.0.0.1');
    await storage.repositories.users.setBan(alice.id, { by: alice.id, at: new Date() });
    expect(await refusalCode(accounts.authenticate(token))).to.equal('USER_BANNED');
  });

  it('refuses a reserved name at register, and a password that is not well-formed Unicode at register and login', async () => {
    expect(await refusalCode(accounts.register('Admin', 'correct horse'))).to.equal('USERNAME_RESERVED');
    expect(await refusalCode(accounts.register('alice', 'correct horse\ud800'))).to.equal('INVALID_PASSWORD');
    await accounts.register('alice', 'correct horse\u{10ffff}');
    // Both lone surrogates used to encode as U+FFFD, so each matched the other's hash.
    expect(await refusalCode(accounts.login('alice', 'correct horse\udbff', '127.0.0.1'))).to.equal('INVALID_PASSWORD');
    expect((await accounts.login('alice', 'correct horse\u{10ffff}', '127.0.0.1')).user.username).to.equal('alice');
  });

  it('expires a token its lifetime after login with TOKEN_EXPIRED, telling the user to log in again', async () => {
    const clock = new FixedClock();
    const hourLong = new AccountService(storage.repositories, storage.unitOfWork, cheapHasher(), tokens, clock, sessions, new InMemoryLoginThrottle(DEFAULT_LOGIN_THROTTLE_LIMITS), 3_600_000);
    await hourLong.register('alice', 'correct horse');
    const { token } = await hourLong.login('alice', 'correct horse', '127.0.0.1');
    const issued = clock.now().getTime();
    expect((await hourLong.liveSession(token)).expiresAt).to.deep.equal(new Date(issued + 3_600_000));
    clock.current = new Date(issued + 3_599_999);
    expect((await hourLong.authenticate(token)).username).to.equal('alice');
    clock.current = new Date(issued + 3_600_000);
    const expired = await hourLong.authenticate(token).then(() => undefined, (error: Error) => error);
    expect(expired).to.include({ code: 'TOKEN_EXPIRED' });
    expect(expired!.message).to.contain('log in again');
    const again = await hourLong.login('alice', 'correct horse', '127.0.0.1');
    expect((await hourLong.authenticate(again.token)).username).to.equal('alice');
  });

  it('issues no token to a user banned while their password was being checked', async () => {
    const alice = await accounts.register('alice', 'correct horse');
    const hasher = cheapHasher();
    const verify = hasher.verify.bind(hasher);
    hasher.verify = async (password, hash) => {
      const matches = await verify(password, hash);
      await storage.repositories.users.setBan(alice.id, { by: null, at: new Date() });
      return matches;
    };
    const racing = new AccountService(storage.repositories, storage.unitOfWork, hasher, tokens, new FixedClock(), sessions, new InMemoryLoginThrottle(DEFAULT_LOGIN_THROTTLE_LIMITS));
    expect(await refusalCode(racing.login('alice', 'correct horse', '127.0.0.1'))).to.equal('USER_BANNED');
    expect(await storage.repositories.logins.recentFor(alice.id, 10)).to.deep.equal([]);
  });

  it('promotes and demotes admins by name', async () => {
    await accounts.register('alice', 'correct horse');
    expect((await accounts.promote('ALICE', true)).isAdmin).to.equal(true);
    expect((await accounts.login('alice', 'correct horse', '::1')).user.isAdmin).to.equal(true);
    expect((await accounts.promote('alice', false)).isAdmin).to.equal(false);
    expect(await refusalCode(accounts.promote('nobody', true))).to.equal('UNKNOWN_USER');
  });
});
