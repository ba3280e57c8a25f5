import { assertNotBanned, DomainError, type GroupId, type MessageId, type User, type UserId } from '../domain/index.js';
import type { AdminService, UserListing } from './admin-service.js';
import type { Acknowledgement, DeliveryService } from './delivery-service.js';
import { findUser } from './find-user.js';
import type { FriendService, FriendView } from './friend-service.js';
import type { GroupName, GroupSent, GroupService, GroupView } from './group-service.js';
import { inboxMessage, InboxSubscription, type InboxMessage } from './inbox-subscription.js';
import type { MessagingService, SentMessage } from './messaging-service.js';
import type { Page, PageArgs } from './paging.js';
import type { UserRepository } from './ports/user-repository.js';
import type { UnitOfWork } from './ports/unit-of-work.js';
import { viewOfUser, type UserView } from './views.js';

/** How a host names one of its users: the username, or the numeric id parley gave them. */
export type UserRef = string | UserId;

/** What a send may carry: the caller's id for the message, so a retry stores nothing twice. */
export interface SendOptions {
  readonly clientMsgId?: string;
}

/** What a handle calls: the use cases, and the users to check its user against. */
export interface UserHandleServices {
  readonly users: UserRepository;
  readonly unitOfWork: UnitOfWork;
  readonly admin: AdminService;
  readonly delivery: DeliveryService;
  readonly friends: FriendService;
  readonly groups: GroupService;
  readonly messaging: MessagingService;
}

/** The admin calls, for a handle whose user is an admin; anyone else is refused NOT_ADMIN. */
export interface AdminCalls {
  /** One page of every user; `online` keeps those attached now. */
  users(options?: PageArgs & { readonly online?: boolean }): Promise<Page<UserListing>>;
  /** One page of every group. */
  groups(page?: PageArgs): Promise<Page<GroupView>>;
  /** A system message to any user, friend or not. */
  send(to: string, text: string, options?: SendOptions): Promise<SentMessage>;
  /** A system message to every member of any group, named by its name and its creator. */
  sendGroup(group: Required<GroupName>, text: string, options?: SendOptions): Promise<{ group: GroupView; recipients: number; queueFull: string[]; sentAt: Date }>;
  /** Bans a user: their sessions end and their messages stay queued. Another admin, or yourself, needs `force`. */
  banUser(username: string, options?: { readonly force?: boolean }): Promise<UserListing>;
  unbanUser(username: string): Promise<UserListing>;
  /** Bans a group: nobody can send to it until it is unbanned. */
  banGroup(group: Required<GroupName>): Promise<GroupView>;
  unbanGroup(group: Required<GroupName>): Promise<GroupView>;
}

/**
 * The application acting for one user whom the host has already authenticated: no password
 * and no token, since the host vouches for them (the trust model is in docs/adr/0011). Each
 * call reads the user again, so a ban, a deletion or a promotion counts from the next call:
 * a banned user is refused USER_BANNED, a vanished one UNKNOWN_USER; admin calls read from
 * storage itself, so rights changed by another process count at once.
 */
export class UserHandle {
  /** The admin calls; refused NOT_ADMIN unless the user is an admin when called. */
  readonly admin: AdminCalls;

  private constructor(
    private readonly services: UserHandleServices,
    /** The user's id, which never changes. */
    readonly id: UserId,
    /** The user's name, which never changes. */
    readonly username: string,
  ) {
    const { admin } = services;
    const asAdmin = async () => this.current(true);
    this.admin = {
      users: async ({ online = false, ...page } = {}) => admin.users(await asAdmin(), online, page),
      groups: async (page) => admin.allGroups(await asAdmin(), page),
      send: async (to, text, options) => admin.sendToUser(await asAdmin(), to, text, options?.clientMsgId),
      sendGroup: async ({ name, creator }, text, options) => admin.sendToGroup(await asAdmin(), name, creator, text, options?.clientMsgId),
      banUser: async (username, options) => admin.banUser(await asAdmin(), username, options?.force),
      unbanUser: async (username) => admin.unbanUser(await asAdmin(), username),
      banGroup: async ({ name, creator }) => admin.banGroup(await asAdmin(), name, creator),
      unbanGroup: async ({ name, creator }) => admin.unbanGroup(await asAdmin(), name, creator),
    };
  }

  /** The handle of the user `ref` names; refuses an unknown user (UNKNOWN_USER) and a banned one (USER_BANNED). */
  static async open(services: UserHandleServices, ref: UserRef): Promise<UserHandle> {
    const user = typeof ref === 'string' ? await findUser(services.users, ref) : await byId(services.users, ref);
    assertNotBanned(user);
    return new UserHandle(services, user.id, user.username);
  }

  /** The user as they are now. */
  async profile(): Promise<UserView> {
    return viewOfUser(await this.current());
  }

  /** Sends to a friend; resolves once the message is durable. */
  async send(to: string, text: string, options: SendOptions = {}): Promise<SentMessage> {
    return this.services.messaging.sendPrivate(await this.current(), to, text, options.clientMsgId);
  }

  /** Sends to every other member of a group the user belongs to, by the group's id (see `groups`). */
  async sendGroup(groupId: GroupId, text: string, options: SendOptions = {}): Promise<GroupSent> {
    return this.services.groups.send(await this.current(), groupId, text, options.clientMsgId);
  }

  /** One page of the user's friends, each with whether they are attached now. */
  async friends(page: PageArgs = {}): Promise<Page<FriendView>> {
    return this.services.friends.list(await this.current(), page);
  }

  /** Makes the user and `username` friends; `username` is told. */
  async addFriend(username: string): Promise<FriendView> {
    return this.services.friends.add(await this.current(), username);
  }

  /** One page of the groups the user belongs to. */
  async groups(page: PageArgs = {}): Promise<Page<GroupView>> {
    return this.services.groups.list(await this.current(), page);
  }

  /** Creates a group the user owns. */
  async createGroup(name: string): Promise<GroupView> {
    return this.services.groups.create(await this.current(), name);
  }

  /** Deletes a group the user owns (an admin: any); its other members are told. */
  async deleteGroup(group: GroupName): Promise<GroupView> {
    return this.services.groups.delete(await this.current(), group);
  }

  /** Adds `username` to a group the user owns (an admin: any); they are told. */
  async addGroupMember(group: GroupName, username: string): Promise<GroupView> {
    return this.services.groups.invite(await this.current(), group, username);
  }

  /** Removes `username` from a group the user owns (an admin: any); they are told. */
  async removeGroupMember(group: GroupName, username: string): Promise<GroupView> {
    return this.services.groups.kick(await this.current(), group, username);
  }

  /** One page of the messages waiting for the user, oldest first. Reading removes nothing: `ack` does. */
  async inbox(page: PageArgs = {}): Promise<Page<InboxMessage>> {
    const { items, nextCursor } = await this.services.delivery.pending((await this.current()).id, page);
    return { items: items.map(inboxMessage), nextCursor };
  }

  /** Removes the messages the host has handled from the user's queue. Idempotent: ids already removed come back as `unknown`. */
  async ack(ids: readonly MessageId[]): Promise<Acknowledgement> {
    return this.services.delivery.acknowledge((await this.current()).id, ids);
  }

  /**
   * The user's messages as they arrive: the queue first, oldest first, then live ones. It is
   * one more attachment of the user's session, as `chatctl listen` is: it ends when that
   * session does (a password login anywhere, a logout, a ban) and ends nothing itself.
   */
  async subscribe(): Promise<InboxSubscription> {
    return InboxSubscription.open(this.services.delivery, (await this.current()).id);
  }

  /** The user now; `fresh` reads storage itself, past any cache, for rights that must be current. */
  private async current(fresh = false): Promise<User> {
    const user = fresh ? await this.services.unitOfWork.run(({ users }) => byId(users, this.id)) : await byId(this.services.users, this.id);
    assertNotBanned(user);
    return user;
  }
}

async function byId(users: UserRepository, id: UserId): Promise<User> {
  const user = Number.isSafeInteger(id) && id > 0 ? await users.byId(id) : undefined;
  if (!user) throw new DomainError('UNKNOWN_USER', `there is no user with id ${id}`);
  return user;
}
