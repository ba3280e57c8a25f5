import type { User, UserId } from '../../domain/index.js';

export interface FriendshipRepository {
  /** Records a mutual friendship (both directions); a pair that already exists is left as it is. */
  befriend(a: UserId, b: UserId, since: Date): Promise<void>;
  areFriends(a: UserId, b: UserId): Promise<boolean>;
  /** The user's friends, ordered by username. */
  friendsOf(userId: UserId): Promise<User[]>;
}
