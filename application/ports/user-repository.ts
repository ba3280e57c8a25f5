import type { Ban, User, UserId, Username } from '../../domain/index.js';
import type { PageRequest } from './page-request.js';

export interface NewUser {
  readonly username: Username;
  readonly passwordHash: string;
  readonly createdAt: Date;
}

/** A session token as stored: only its hash, and when it was issued (its age decides whether it expired). */
export interface StoredToken {
  readonly hash: string;
  readonly issuedAt: Date;
}

/** The user a session token belongs to, and when that token was issued. */
export interface TokenHolder {
  readonly user: User;
  readonly issuedAt: Date;
}

export interface UserRepository {
  /** Stores a new user and returns it with its id; throws DomainError USERNAME_TAKEN if the name is in use. */
  add(user: NewUser): Promise<User>;
  byId(id: UserId): Promise<User | undefined>;
  byUsername(username: Username): Promise<User | undefined>;
  /** The user whose current session token hashes to `tokenHash`, with its issue time, if any. */
  byTokenHash(tokenHash: string): Promise<TokenHolder | undefined>;
  /** Users ordered by id: one page of them, or every one when `page` is left out. */
  all(page?: PageRequest): Promise<User[]>;
  /** Replaces the user's session token; null ends the session, and no earlier token works again. */
  setToken(id: UserId, token: StoredToken | null): Promise<void>;
  setAdmin(id: UserId, isAdmin: boolean): Promise<void>;
  /** Replaces the user's password hash; their session token is left as it is. */
  setPasswordHash(id: UserId, passwordHash: string): Promise<void>;
  /** Bans with who and when, or lifts the ban with null. */
  setBan(id: UserId, ban: Ban | null): Promise<void>;
  /**
   * Removes the user and everything that is theirs alone (the schema's foreign keys, and for the queue the repository itself):
   * their session, friendships (both sides), memberships, the groups they created (with those
   * groups' memberships), their queue, login log and client message ids. Deliveries they sent
   * that wait in others' queues stay (the message names its sender); bans they made stay, with
   * `by` null. The username is free again; the id is never handed out again. Returns false if
   * there was no such user.
   */
  remove(id: UserId): Promise<boolean>;
}
