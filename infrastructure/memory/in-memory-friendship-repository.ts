import type { FriendshipRepository } from '../../application/ports/friendship-repository.js';
import type { User, UserId } from '../../domain/index.js';
import type { MemoryStore } from './memory-store.js';

export class InMemoryFriendshipRepository implements FriendshipRepository {
  constructor(private readonly store: MemoryStore) {}

  async befriend(a: UserId, b: UserId, since: Date): Promise<void> {
    for (const [userId, friendId] of [[a, b], [b, a]] as const) {
      if (!this.store.friendships.some((f) => f.userId === userId && f.friendId === friendId)) {
        this.store.friendships.push({ userId, friendId, since });
      }
    }
  }

  async areFriends(a: UserId, b: UserId): Promise<boolean> {
    return this.store.friendships.some((f) => f.userId === a && f.friendId === b);
  }

  async friendsOf(userId: UserId): Promise<User[]> {
    const ids = new Set(this.store.friendships.filter((f) => f.userId === userId).map((f) => f.friendId));
    return this.store.users
      .map((r) => r.user)
      .filter((u) => ids.has(u.id))
      .sort((a, b) => (a.username < b.username ? -1 : 1));
  }
}
