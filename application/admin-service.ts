import { DomainError, groupNotation, parseMessageText, type User } from '../domain/index.js';
import type { AccountService } from './account-service.js';
import type { DeliveryService } from './delivery-service.js';
import { findUser } from './find-user.js';
import type { GroupService, GroupView } from './group-service.js';
import { MAX_PAGE_SIZE, readPage, type Page, type PageArgs } from './paging.js';
import type { AuditLog } from './ports/audit-log.js';
import type { Clock } from './ports/clock.js';
import type { SessionHub } from './ports/session-hub.js';
import type { Repositories } from './ports/unit-of-work.js';

export interface UserListing {
  readonly username: string;
  readonly isAdmin: boolean;
  readonly banned: boolean;
  readonly online: boolean;
}

function assertAdmin(user: User): void {
  if (!user.isAdmin) throw new DomainError('NOT_ADMIN', 'only an admin can do that');
}

/** What admins do: see everything, send system messages anywhere, ban and unban, reset passwords, delete accounts. Each call checks the caller is an admin. */
export class AdminService {
  constructor(
    private readonly repositories: Repositories,
    private readonly groups: GroupService,
    private readonly accounts: AccountService,
    private readonly delivery: DeliveryService,
    private readonly sessions: SessionHub,
    private readonly clock: Clock,
    private readonly audit: AuditLog,
    /** The most rows a page of `users` may hold (`allGroups` asks GroupService, which has its own). */
    private readonly maxPageSize = MAX_PAGE_SIZE,
  ) {}

  /**
   * One page of every user, by id; `onlineOnly` keeps the attached ones of that page, so a
   * page may hold fewer than its limit (even none) and still have a next one.
   */
  async users(admin: User, onlineOnly = false, args: PageArgs = {}): Promise<Page<UserListing>> {
    assertAdmin(admin);
    const { items, nextCursor } = await readPage(args, (page) => this.repositories.users.all(page), (user) => user.id, this.maxPageSize);
    const online = await this.sessions.onlineAmong(items.map((user) => user.id));
    const listing = items.map((user) => ({
      username: user.username,
      isAdmin: user.isAdmin,
      banned: user.ban !== null,
      online: online.has(user.id),
    }));
    return { items: onlineOnly ? listing.filter((user) => user.online) : listing, nextCursor };
  }

  async allGroups(admin: User, args: PageArgs = {}): Promise<Page<GroupView>> {
    assertAdmin(admin);
    return this.groups.all(args);
  }

  /**
   * A system message to any user, friend or not, delivered like any other: under their quota
   * (QUEUE_FULL) and the admin's client message id, as `MessagingService.sendPrivate`.
   */
  async sendToUser(admin: User, rawUsername: string, rawText: string, clientMsgId?: string): Promise<{ id: number; to: string; sentAt: Date }> {
    assertAdmin(admin);
    const text = parseMessageText(rawText);
    const target = await findUser(this.repositories.users, rawUsername);
    const sentAt = this.clock.now();
    const receipt = await this.delivery.store(admin.id, {
      deliveries: [{ recipientId: target.id, message: { kind: 'private', from: { id: admin.id, username: admin.username }, fromAdmin: true, text, sentAt } }],
      sentAt,
      clientMsgId,
    });
    if (receipt.firstId === null) throw this.delivery.queueFull(target.username);
    if (!receipt.repeat) this.record(admin, 'adminsend', target.username);
    return { id: receipt.firstId, to: target.username, sentAt: receipt.sentAt };
  }

  /** A system message to every member of any group; members whose queue is full are left out and named. */
  async sendToGroup(
    admin: User,
    name: string,
    creator: string,
    text: string,
    clientMsgId?: string,
  ): Promise<{ group: GroupView; recipients: number; queueFull: string[]; sentAt: Date }> {
    assertAdmin(admin);
    const { group, ref } = await this.groups.exact(name, creator);
    const { repeat, ...sent } = await this.groups.sendAsAdmin(admin, group, ref, text, clientMsgId);
    if (!repeat) this.record(admin, 'adminsendgroup', `${ref.name}@${ref.creator}`, { recipients: sent.recipients });
    return { group: await this.groups.view(group, ref.creator), ...sent };
  }

  /**
   * Bans a user: their live connections are kicked at once, their token is revoked for good
   * (after an unban they log in again), and their queued messages are kept. Banning yourself
   * or another admin needs `force`.
   */
  async banUser(admin: User, rawUsername: string, force = false): Promise<UserListing> {
    assertAdmin(admin);
    const target = await findUser(this.repositories.users, rawUsername);
    if ((target.id === admin.id || target.isAdmin) && !force) {
      throw new DomainError('CANNOT_BAN_ADMIN', `${target.username} is ${target.id === admin.id ? 'you' : 'an admin'}: say --force to ban them anyway`);
    }
    if (target.ban) throw new DomainError('ALREADY_BANNED', `${target.username} is already banned`);
    // Revoked first: a failure between the two writes leaves a logged-out user, never a ban that keeps a token.
    await this.repositories.users.setToken(target.id, null);
    await this.repositories.users.setBan(target.id, { by: admin.id, at: this.clock.now() });
    await this.sessions.kick(target.id, 'USER_BANNED', 'an admin banned you');
    this.record(admin, 'blockuser', target.username, { force });
    return { username: target.username, isAdmin: target.isAdmin, banned: true, online: false };
  }

  async unbanUser(admin: User, rawUsername: string): Promise<UserListing> {
    assertAdmin(admin);
    const target = await findUser(this.repositories.users, rawUsername);
    if (!target.ban) throw new DomainError('NOT_BANNED', `${target.username} is not banned`);
    // Again here for a ban set straight on the database, which revoked nothing.
    await this.repositories.users.setToken(target.id, null);
    await this.repositories.users.setBan(target.id, null);
    this.record(admin, 'unblockuser', target.username);
    return { username: target.username, isAdmin: target.isAdmin, banned: false, online: (await this.sessions.onlineAmong([target.id])).has(target.id) };
  }

  /** Bans a group: nobody can send to it until it is unbanned; its members and history stay. */
  async banGroup(admin: User, name: string, creator: string): Promise<GroupView> {
    assertAdmin(admin);
    const { group, ref } = await this.groups.exact(name, creator);
    if (group.ban) throw new DomainError('ALREADY_BANNED', `the group ${groupNotation(ref)} is already banned`);
    await this.repositories.groups.setBan(group.id, { by: admin.id, at: this.clock.now() });
    this.record(admin, 'blockgroup', `${ref.name}@${ref.creator}`);
    return { ...(await this.groups.view(group, ref.creator)), banned: true };
  }

  async unbanGroup(admin: User, name: string, creator: string): Promise<GroupView> {
    assertAdmin(admin);
    const { group, ref } = await this.groups.exact(name, creator);
    if (!group.ban) throw new DomainError('NOT_BANNED', `the group ${groupNotation(ref)} is not banned`);
    await this.repositories.groups.setBan(group.id, null);
    this.record(admin, 'unblockgroup', `${ref.name}@${ref.creator}`);
    return { ...(await this.groups.view(group, ref.creator)), banned: false };
  }

  /**
   * Gives a user a new random password, answered once for the admin to hand over; the user's
   * token is revoked and their connections kicked. Resetting your own is allowed (`passwd`
   * asks for the current one instead).
   */
  async resetPassword(admin: User, rawUsername: string): Promise<{ user: UserListing; password: string }> {
    assertAdmin(admin);
    const target = await findUser(this.repositories.users, rawUsername);
    const password = await this.accounts.resetPassword(target);
    this.record(admin, 'resetpassword', target.username);
    return { user: { username: target.username, isAdmin: target.isAdmin, banned: target.ban !== null, online: false }, password };
  }

  /**
   * Deletes any account, another admin's or the caller's own included (the operator's `promote`
   * makes a new admin): see `AccountService.remove` for what goes and what stays.
   */
  async deleteUser(admin: User, rawUsername: string): Promise<UserListing> {
    assertAdmin(admin);
    const target = await findUser(this.repositories.users, rawUsername);
    await this.accounts.remove(target, admin);
    this.record(admin, 'deluser', target.username);
    return { username: target.username, isAdmin: target.isAdmin, banned: target.ban !== null, online: false };
  }

  private record(admin: User, action: string, target: string, details?: Record<string, unknown>): void {
    this.audit.record({ admin: admin.username, action, target, ...(details ? { details } : {}) });
  }
}
