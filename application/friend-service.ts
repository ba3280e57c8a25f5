import { assertCanBefriend, DomainError, type User } from '../domain/index.js';
import { findUser } from './find-user.js';
import type { Clock } from './ports/clock.js';
import type { SessionHub } from './ports/session-hub.js';
import type { Repositories } from './ports/unit-of-work.js';
import type { DeliveryService } from './delivery-service.js';
import { MAX_PAGE_SIZE, readPage, type Page, type PageArgs } from './paging.js';

/** A friend as the user sees them: the same facts as an admin's user listing. */
export interface FriendView {
  readonly username: string;
  readonly isAdmin: boolean;
  readonly banned: boolean;
  readonly online: boolean;
}

/** Friendships, the seed's way: adding someone makes both friends at once, and tells them. */
export class FriendService {
  constructor(
    private readonly repositories: Repositories,
    private readonly delivery: DeliveryService,
    private readonly sessions: SessionHub,
    private readonly clock: Clock,
    /** The most rows a page of `list` may hold. */
    private readonly maxPageSize = MAX_PAGE_SIZE,
  ) {}

  async add(user: User, rawUsername: string): Promise<FriendView> {
    const other = await findUser(this.repositories.users, rawUsername);
    assertCanBefriend(user, other);
    if (await this.repositories.friendships.areFriends(user.id, other.id)) {
      throw new DomainError('ALREADY_FRIENDS', `${other.username} is already your friend`);
    }
    const now = this.clock.now();
    await this.repositories.friendships.befriend(user.id, other.id, now);
    await this.delivery.deliver([
      {
        recipientId: other.id,
        message: {
          kind: 'notice',
          topic: 'friend-added',
          from: { id: user.id, username: user.username },
          group: null,
          text: `${user.username} added you as a friend`,
          sentAt: now,
        },
      },
    ]);
    return { username: other.username, isAdmin: other.isAdmin, banned: other.ban !== null, online: (await this.sessions.onlineAmong([other.id])).has(other.id) };
  }

  /** One page of the user's friends, in the order they registered, each with whether they are attached now. */
  async list(user: User, args: PageArgs = {}): Promise<Page<FriendView>> {
    const { items, nextCursor } = await readPage(args, (page) => this.repositories.friendships.friendsOf(user.id, page), (friend) => friend.id, this.maxPageSize);
    const online = await this.sessions.onlineAmong(items.map((friend) => friend.id));
    return { items: items.map((friend) => ({ username: friend.username, isAdmin: friend.isAdmin, banned: friend.ban !== null, online: online.has(friend.id) })), nextCursor };
  }
}
