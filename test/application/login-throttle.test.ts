import { expect } from 'chai';
import { AccountService } from '../../application/account-service.js';
import type { PasswordHasher } from '../../application/ports/password-hasher.js';
import { InProcessSessionHub } from '../../infrastructure/in-process-session-hub.js';
import { InMemoryLoginThrottle } from '../../infrastructure/memory/in-memory-login-throttle.js';
import { RandomTokenGenerator } from '../../infrastructure/random-token-generator.js';
import { openStorage, type Storage } from '../../infrastructure/storage.js';
import { cheapHasher, FixedClock } from '../support/fakes.js';
import { refusalCode } from '../support/refusals.js';

/** A real hasher that counts how many passwords it was asked to check. */
class CountingHasher implements PasswordHasher {
  verified = 0;
  hashed = 0;
  private readonly inner = cheapHasher();

  hash(password: string): Promise<string> {
    this.hashed++;
    return this.inner.hash(password);
  }

  verify(password: string, hash: string): Promise<boolean> {
    this.verified++;
    return this.inner.verify(password, hash);
  }
}

describe('AccountService login throttle', () => {
  let storage: Storage;
  let hasher: CountingHasher;
  let accounts: AccountService;

  beforeEach(async () => {
    storage = await openStorage('memory');
    hasher = new CountingHasher();
    const throttle = new InMemoryLoginThrottle({
      maxFailuresPerAccount: 3,
      maxFailuresPerAddress: 5,
      failureIntervalMs: 60_000,
      maxRegistrationsPerAddress: 2,
      registrationIntervalMs: 60_000,
    });
    accounts = new AccountService(storage.repositories, storage.unitOfWork, hasher, new RandomTokenGenerator(), new FixedClock(), new InProcessSessionHub(), throttle);
    await accounts.register('alice', 'correct horse');
  });

  afterEach(() => storage.close());

  it('refuses with RATE_LIMITED before hashing once an account has had too many failures', async () => {
    for (let i = 0; i < 3; i++) expect(await refusalCode(accounts.login('alice', `guess ${i}`, '10.0.0.9'))).to.equal('WRONG_PASSWORD');
    expect(hasher.verified).to.equal(3);
    expect(await refusalCode(accounts.login('alice', 'correct horse', '10.0.0.8'))).to.equal('RATE_LIMITED');
    expect(hasher.verified).to.equal(3);
  });

  it('lets the owner in from an address the account logged in from, whatever failed elsewhere', async () => {
    await accounts.login('alice', 'correct horse', '10.0.0.1');
    for (let i = 0; i < 3; i++) await refusalCode(accounts.login('alice', `guess ${i}`, '10.0.0.9'));
    expect(await refusalCode(accounts.login('alice', 'correct horse', '10.0.0.8'))).to.equal('RATE_LIMITED');
    expect((await accounts.login('alice', 'correct horse', '10.0.0.1')).user.username).to.equal('alice');
  });

  it('counts failures per address too, unknown users included, and says how long to wait', async () => {
    for (let i = 0; i < 5; i++) expect(await refusalCode(accounts.login(`nobody${i}`, 'whatever pw', '10.0.0.9'))).to.equal('UNKNOWN_USER');
    const refusal = await accounts.login('alice', 'correct horse', '10.0.0.9').catch((error: unknown) => error);
    expect(refusal).to.deep.include({ code: 'RATE_LIMITED', message: 'too many failed logins from your address; try again in 60 s' });
    expect((refusal as { details: { retryAfterMs: number } }).details.retryAfterMs).to.be.within(59_000, 60_000);
    expect((await accounts.login('alice', 'correct horse', '10.0.0.1')).user.username).to.equal('alice');
  });

  it('holds registrations from one address to its budget before hashing, and not those of an embedding host', async () => {
    const before = hasher.hashed;
    await accounts.register('bob', 'correct horse', '10.0.0.9');
    await accounts.register('carol', 'correct horse', '10.0.0.9');
    const refusal = await accounts.register('dave', 'correct horse', '10.0.0.9').catch((error: unknown) => error);
    expect(refusal).to.deep.include({ code: 'RATE_LIMITED', message: 'too many registrations from your address; try again in 60 s' });
    expect(hasher.hashed).to.equal(before + 2);
    expect((await accounts.register('dave', 'correct horse', '10.0.0.8')).username).to.equal('dave');
    expect((await accounts.register('erin', 'correct horse')).username).to.equal('erin');
  });
});
