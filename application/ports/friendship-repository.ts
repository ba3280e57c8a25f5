import type { User, UserId } from '../../domain/index.js';
import type { PageRequest } from './page-request.js';

export interface FriendshipRepository {
  /** Records a mutual friendship (both directions); a pair that already exists is left as it is. */
  befriend(a: UserId, b: UserId, since: Date): Promise<void>;
  areFriends(a: UserId, b: UserId): Promise<boolean>;
  /** The user's friends ordered by id: one page of them, or every one when `page` is left out. */
  friendsOf(userId: UserId, page?: PageRequest): Promise<User[]>;
}
