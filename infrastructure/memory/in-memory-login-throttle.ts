import type { LoginLimit, LoginThrottle, LoginThrottleLimits } from '../../application/ports/login-throttle.js';
import { TokenBuckets } from '../../application/token-bucket.js';
import type { Username } from '../../domain/index.js';

/** Addresses remembered per account; the oldest goes first. */
const KNOWN_ADDRESSES_PER_ACCOUNT = 8;
/** Accounts whose addresses are remembered; the least recently successful goes first. */
const MAX_ACCOUNTS_REMEMBERED = 100_000;

/**
 * The login throttle of one server process: token buckets in memory, lost at a restart. Several
 * processes behind one balancer each count on their own, so a guesser gets one budget per process.
 */
export class InMemoryLoginThrottle implements LoginThrottle {
  private readonly accounts: TokenBuckets;
  private readonly addresses: TokenBuckets;
  private readonly registrations: TokenBuckets;
  private readonly known = new Map<Username, string[]>();

  constructor(limits: LoginThrottleLimits) {
    const perSecond = 1000 / limits.failureIntervalMs;
    this.accounts = new TokenBuckets(limits.maxFailuresPerAccount, perSecond);
    this.addresses = new TokenBuckets(limits.maxFailuresPerAddress, perSecond);
    this.registrations = new TokenBuckets(limits.maxRegistrationsPerAddress, 1000 / limits.registrationIntervalMs);
  }

  async registering(ip: string): Promise<number> {
    return this.registrations.take(ip, performance.now());
  }

  async delay(username: Username, ip: string): Promise<{ limit: LoginLimit; retryAfterMs: number } | null> {
    const now = performance.now();
    const fromAddress = this.addresses.wait(ip, now);
    if (fromAddress > 0) return { limit: 'address', retryAfterMs: fromAddress };
    const onAccount = this.known.get(username)?.includes(ip) ? 0 : this.accounts.wait(username, now);
    return onAccount > 0 ? { limit: 'account', retryAfterMs: onAccount } : null;
  }

  async failed(username: Username, ip: string): Promise<void> {
    const now = performance.now();
    this.addresses.take(ip, now);
    this.accounts.take(username, now);
  }

  async succeeded(username: Username, ip: string): Promise<void> {
    const addresses = (this.known.get(username) ?? []).filter((known) => known !== ip);
    this.known.delete(username);
    if (this.known.size >= MAX_ACCOUNTS_REMEMBERED) this.known.delete(this.known.keys().next().value!);
    this.known.set(username, [...addresses.slice(1 - KNOWN_ADDRESSES_PER_ACCOUNT), ip]);
  }
}
