import type { Knex } from 'knex';
import type { FriendshipRepository } from '../../application/ports/friendship-repository.js';
import type { User, UserId } from '../../domain/index.js';
import { userFromRow, type UserRow } from './knex-user-repository.js';

export class KnexFriendshipRepository implements FriendshipRepository {
  constructor(private readonly db: Knex | Knex.Transaction) {}

  async befriend(a: UserId, b: UserId, since: Date): Promise<void> {
    const created_at = since.getTime();
    await this.db('user_friends')
      .insert([
        { user_id: a, friend_id: b, created_at },
        { user_id: b, friend_id: a, created_at },
      ])
      .onConflict(['user_id', 'friend_id'])
      .ignore();
  }

  async areFriends(a: UserId, b: UserId): Promise<boolean> {
    return (await this.db('user_friends').where({ user_id: a, friend_id: b }).first()) !== undefined;
  }

  async friendsOf(userId: UserId): Promise<User[]> {
    const rows = await this.db('user_friends as f')
      .join('users as u', 'u.id', 'f.friend_id')
      .where('f.user_id', userId)
      .orderBy('u.username')
      .select<UserRow[]>('u.*');
    return rows.map(userFromRow);
  }
}
