import { DomainError } from './domain-error.js';
import { hasLoneSurrogate } from './text.js';

export type UserId = number;

/** A username as stored: lower case, already checked by `parseUsername`. */
export type Username = string & { readonly __brand: 'Username' };

export const USERNAME_MIN_LENGTH = 3;
export const USERNAME_MAX_LENGTH = 32;
export const PASSWORD_MIN_LENGTH = 8;
/** Bounds the work of hashing: scrypt's cost grows with the input. */
export const PASSWORD_MAX_LENGTH = 1024;

const USERNAME_SHAPE = /^[a-z][a-z0-9_-]*$/;

/**
 * Names a newcomer may not take, because users would read them as the server or its staff
 * (the names IRC services and mail systems keep, RFC 2142). Compared without `_` and `-`,
 * so `ad-min` and `root_` are refused too.
 */
export const RESERVED_USERNAMES: ReadonlySet<string> = new Set([
  'abuse', 'admin', 'administrator', 'chanserv', 'daemon', 'help', 'hostmaster', 'moderator', 'nickserv', 'nobody',
  'official', 'operator', 'oper', 'parley', 'postmaster', 'root', 'security', 'server', 'staff', 'support', 'sysop',
  'system', 'webmaster',
]);

/** Who banned a user or a group, and when. */
export interface Ban {
  /** Null when the ban was set outside parley, straight on the database. */
  readonly by: UserId | null;
  readonly at: Date;
}

export interface User {
  readonly id: UserId;
  readonly username: Username;
  readonly passwordHash: string;
  readonly isAdmin: boolean;
  readonly ban: Ban | null;
  readonly createdAt: Date;
}

/**
 * Usernames are case-insensitive: `Bob` and `bob` name the same user, stored as `bob`.
 * After lower-casing, a username is 3 to 32 characters of a-z, 0-9, `_` and `-`, starting
 * with a letter, so it is safe in a terminal, a log line and a file name.
 */
export function parseUsername(raw: string): Username {
  const name = raw.trim().toLowerCase();
  if (name.length < USERNAME_MIN_LENGTH || name.length > USERNAME_MAX_LENGTH) {
    throw new DomainError(
      'INVALID_USERNAME',
      `a username has ${USERNAME_MIN_LENGTH} to ${USERNAME_MAX_LENGTH} characters (got ${name.length})`,
    );
  }
  if (!USERNAME_SHAPE.test(name)) {
    throw new DomainError(
      'INVALID_USERNAME',
      'a username starts with a letter and holds only letters a-z, digits, "_" and "-"',
    );
  }
  return name as Username;
}

/**
 * A username for a new account: `parseUsername`'s rules, and none of RESERVED_USERNAMES.
 * Lookups use `parseUsername` alone, so an account made before a name was reserved still works.
 */
export function parseNewUsername(raw: string): Username {
  const name = parseUsername(raw);
  if (RESERVED_USERNAMES.has(name.replace(/[-_]/g, ''))) {
    throw new DomainError('USERNAME_RESERVED', `the username ${name} is reserved: choose another`);
  }
  return name;
}

/**
 * Refuses a password that is not well-formed Unicode (a lone UTF-16 surrogate): such a
 * password has no UTF-8 form, and encoding it replaces the surrogate with U+FFFD, so two
 * different passwords would hash the same. Checked at register and at login.
 */
export function assertWellFormedPassword(password: string): void {
  if (hasLoneSurrogate(password)) {
    throw new DomainError('INVALID_PASSWORD', 'a password must be well-formed Unicode (it holds a lone surrogate)');
  }
}

/** Refuses passwords that are too short to resist guessing or too long to hash cheaply. */
export function checkPasswordStrength(password: string): void {
  if (password.length < PASSWORD_MIN_LENGTH) {
    throw new DomainError('WEAK_PASSWORD', `a password has at least ${PASSWORD_MIN_LENGTH} characters`);
  }
  if (password.length > PASSWORD_MAX_LENGTH) {
    throw new DomainError('WEAK_PASSWORD', `a password has at most ${PASSWORD_MAX_LENGTH} characters`);
  }
  if (password.trim().length === 0) {
    throw new DomainError('WEAK_PASSWORD', 'a password cannot be only spaces');
  }
  assertWellFormedPassword(password);
}

export function assertNotBanned(user: User): void {
  if (user.ban) throw new DomainError('USER_BANNED', `${user.username} is banned`);
}
