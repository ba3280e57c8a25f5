import { DomainError } from './domain-error.js';

export type UserId = number;

/** A username as stored: lower case, already checked by `parseUsername`. */
export type Username = string & { readonly __brand: 'Username' };

export const USERNAME_MIN_LENGTH = 3;
export const USERNAME_MAX_LENGTH = 32;
export const PASSWORD_MIN_LENGTH = 8;
/** Bounds the work of hashing: scrypt's cost grows with the input. */
export const PASSWORD_MAX_LENGTH = 1024;

const USERNAME_SHAPE = /^[a-z][a-z0-9_-]*$/;

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
}

export function assertNotBanned(user: User): void {
  if (user.ban) throw new DomainError('USER_BANNED', `${user.username} is banned`);
}
