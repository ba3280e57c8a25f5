import type { FriendshipRepository } from '../../application/ports/friendship-repository.js';
import type { PageRequest } from '../../application/ports/page-request.js';
import type { User, UserId } from '../../domain/index.js';
import { assertReferences, pageOf, type MemoryAccess, type MemoryStore } from './memory-store.js';

export class InMemoryFriendshipRepository implements FriendshipRepository {
  constructor(store: MemoryStore, private readonly access: MemoryAccess = store.access) {}

  befriend(a: UserId, b: UserId, since: Date): Promise<void> {
    return this.access((tables) => {
      assertReferences(tables, { users: [a, b] });
      for (const [userId, friendId] of [[a, b], [b, a]] as const) {
        if (!tables.friendships.some((f) => f.userId === userId && f.friendId === friendId)) {
          tables.friendships.push({ userId, friendId, since: new Date(since.getTime()) });
        }
      }
    });
  }

  areFriends(a: UserId, b: UserId): Promise<boolean> {
    return this.access((tables) => tables.friendships.some((f) => f.userId === a && f.friendId === b));
  }

  friendsOf(userId: UserId, page?: PageRequest): Promise<User[]> {
    return this.access((tables) => {
      const friends = new Set(tables.friendships.filter((f) => f.userId === userId).map((f) => f.friendId));
      const users = tables.users.map((record) => record.user).filter((user) => friends.has(user.id));
      return pageOf(users.sort((a, b) => a.id - b.id), (user) => user.id, page);
    });
  }
}
