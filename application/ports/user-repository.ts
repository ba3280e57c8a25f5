import type { Ban, User, UserId, Username } from '../../domain/index.js';

export interface NewUser {
  readonly username: Username;
  readonly passwordHash: string;
  readonly createdAt: Date;
}

export interface UserRepository {
  /** Stores a new user and returns it with its id; throws DomainError USERNAME_TAKEN if the name is in use. */
  add(user: NewUser): Promise<User>;
  byId(id: UserId): Promise<User | undefined>;
  byUsername(username: Username): Promise<User | undefined>;
  /** The user whose current session token hashes to `tokenHash`, if any. */
  byTokenHash(tokenHash: string): Promise<User | undefined>;
  /** Every user, ordered by username. */
  all(): Promise<User[]>;
  /** Replaces the user's session token hash; null ends the session. */
  setTokenHash(id: UserId, tokenHash: string | null): Promise<void>;
  setAdmin(id: UserId, isAdmin: boolean): Promise<void>;
  /** Bans with who and when, or lifts the ban with null. */
  setBan(id: UserId, ban: Ban | null): Promise<void>;
}
