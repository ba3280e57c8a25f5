import { DomainError, parseUsername, type User } from '../domain/index.js';
import type { UserRepository } from './ports/user-repository.js';

/** The user a command names, or the UNKNOWN_USER refusal every use case gives. */
export async function findUser(users: UserRepository, rawUsername: string): Promise<User> {
  const username = parseUsername(rawUsername);
  const user = await users.byUsername(username);
  if (!user) throw new DomainError('UNKNOWN_USER', `there is no user called ${username}`);
  return user;
}
