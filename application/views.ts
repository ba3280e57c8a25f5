import type { User, UserId } from '../domain/index.js';

/** A user as other users and clients may see them: never the password hash. */
export interface UserView {
  readonly id: UserId;
  readonly username: string;
  readonly isAdmin: boolean;
  readonly banned: boolean;
}

export function viewOfUser(user: User): UserView {
  return { id: user.id, username: user.username, isAdmin: user.isAdmin, banned: user.ban !== null };
}
