import type { Username } from '../../domain/index.js';

/** How many failed logins are allowed before guessing is slowed, and how fast it may go on after. */
export interface LoginThrottleLimits {
  /** Failed logins an account takes, from addresses it never logged in from, before they are slowed. */
  readonly maxFailuresPerAccount: number;
  /** Failed logins one address makes, whatever the accounts, before it is slowed. */
  readonly maxFailuresPerAddress: number;
  /** Once slowed: one more attempt per this many milliseconds, for the account and for the address alike. */
  readonly failureIntervalMs: number;
  /** Registrations one address may make at once; each costs a password hash, as a login does. */
  readonly maxRegistrationsPerAddress: number;
  /** Once used up: one more registration per this many milliseconds, per address. */
  readonly registrationIntervalMs: number;
}

/**
 * Synapse's `rc_login.failed_attempts` allows 3 at once then one per 6 s per account, and
 * `rc_login.address` 5 then one per 5 min per address (all logins); ngircd and InspIRCd
 * leave it to fail2ban. parley counts only failures, so it can afford more at once.
 * Synapse's `rc_registration` allows 3 at once then one per 6 s per address; parley allows
 * 10 at once (a class signing up behind one address) then one per 10 s.
 */
export const DEFAULT_LOGIN_THROTTLE_LIMITS: LoginThrottleLimits = {
  maxFailuresPerAccount: 10,
  maxFailuresPerAddress: 30,
  failureIntervalMs: 30_000,
  maxRegistrationsPerAddress: 10,
  registrationIntervalMs: 10_000,
};

/** Which count stopped a login. */
export type LoginLimit = 'account' | 'address';

/**
 * Failed logins, counted per account and per address so that guessing is slowed before any
 * password is hashed; and registrations per address, each of which hashes a password. An address the account has logged in from is not slowed by the
 * account's count (only by its own), so failures elsewhere cannot lock its owner out.
 */
export interface LoginThrottle {
  /** Null if `username` may try to log in from `ip` now; else which count stops it and for how many ms. */
  delay(username: Username, ip: string): Promise<{ readonly limit: LoginLimit; readonly retryAfterMs: number } | null>;
  /** A login of `username` from `ip` failed: wrong password, or no such user. */
  failed(username: Username, ip: string): Promise<void>;
  /** A login succeeded: from now on `ip` is one the account is known to use. */
  succeeded(username: Username, ip: string): Promise<void>;
  /** Counts a registration from `ip` and answers 0; or, over the budget, counts nothing and answers the ms to wait. */
  registering(ip: string): Promise<number>;
}
