import type { Knex } from 'knex';
import type { FriendshipRepository } from '../../application/ports/friendship-repository.js';
import type { PageRequest } from '../../application/ports/page-request.js';
import type { Friendship, User, UserId } from '../../domain/index.js';
import { userFromRow, type UserRow } from './knex-user-repository.js';
import { paged } from './paged.js';

interface FriendRow {
  user_id: number;
  friend_id: number;
  created_at: number | string;
}

function toRow(friendship: Friendship): FriendRow {
  return { user_id: friendship.userId, friend_id: friendship.friendId, created_at: friendship.since.getTime() };
}

export class KnexFriendshipRepository implements FriendshipRepository {
  constructor(private readonly db: Knex | Knex.Transaction) {}

  async befriend(a: UserId, b: UserId, since: Date): Promise<void> {
    // One statement, so both directions are written or neither; friendsOf reads users, not these rows.
    await this.db('user_friends')
      .insert([toRow({ userId: a, friendId: b, since }), toRow({ userId: b, friendId: a, since })])
      .onConflict(['user_id', 'friend_id'])
      .ignore();
  }

  async areFriends(a: UserId, b: UserId): Promise<boolean> {
    return (await this.db<FriendRow>('user_friends').where({ user_id: a, friend_id: b }).first()) !== undefined;
  }

  async friendsOf(userId: UserId, page?: PageRequest): Promise<User[]> {
    // Paged on f.friend_id, so the walk follows the (user_id, friend_id) primary key.
    const rows = await this.db('user_friends as f')
      .join('users as u', 'u.id', 'f.friend_id')
      .where('f.user_id', userId)
      .modify(paged('f.friend_id', page))
      .select<UserRow[]>('u.*');
    return rows.map(userFromRow);
  }
}
