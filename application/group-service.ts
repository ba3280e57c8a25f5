import {
  assertCanDeleteGroup,
  assertCanKick,
  assertCanManageMembers,
  assertGroupNotBanned,
  DomainError,
  groupNotation,
  MAX_GROUPS_PER_CREATOR,
  parseGroupName,
  parseMessageText,
  parseUsername,
  type ChatMessage,
  type Group,
  type GroupId,
  type GroupRef,
  type NoticeTopic,
  type User,
} from '../domain/index.js';
import type { DeliveryService, Submitted } from './delivery-service.js';
import type { SendReceipt } from './ports/message-queue.js';
import { findUser } from './find-user.js';
import { MAX_PAGE_SIZE, readPage, type Page, type PageArgs } from './paging.js';
import type { Clock } from './ports/clock.js';
import type { GroupSummary } from './ports/group-repository.js';
import type { SessionHub } from './ports/session-hub.js';
import type { Repositories, UnitOfWork } from './ports/unit-of-work.js';

/** A group as listings show it. */
export interface GroupView {
  readonly id: GroupId;
  readonly name: string;
  readonly creator: string;
  readonly online: number;
  readonly total: number;
  readonly banned: boolean;
}

/** What a group send answers: the group as it is now, how many members it was stored for, and who was left out. */
export interface GroupSent {
  readonly group: GroupView;
  readonly recipients: number;
  readonly sentAt: Date;
  /** The members left out because their queue was full (QUEUE_FULL), by name. */
  readonly queueFull: string[];
}

/** How a command names a group: its name, and its creator's name when the name alone is ambiguous. */
export interface GroupName {
  readonly name: string;
  readonly creator?: string | undefined;
}

/** Groups: create, delete, invite, kick, list, and messages to every member. */
export class GroupService {
  constructor(
    private readonly repositories: Repositories,
    private readonly unitOfWork: UnitOfWork,
    private readonly delivery: DeliveryService,
    private readonly sessions: SessionHub,
    private readonly clock: Clock,
    /** The most rows a page of `list` or `all` may hold. */
    private readonly maxPageSize = MAX_PAGE_SIZE,
  ) {}

  /** Creates a group owned by the user; at most MAX_GROUPS_PER_CREATOR each. */
  async create(user: User, rawName: string): Promise<GroupView> {
    const name = parseGroupName(rawName);
    const group = await this.repositories.groups.create({ name, creatorId: user.id, createdAt: this.clock.now(), maxPerCreator: MAX_GROUPS_PER_CREATOR });
    return this.view(group, user.username);
  }

  /** Deletes the group and its memberships in one transaction; every other member is told. */
  async delete(user: User, named: GroupName): Promise<GroupView> {
    const { group, ref } = await this.resolve(user, named);
    assertCanDeleteGroup(user, group);
    const queued = await this.unitOfWork.run(async ({ groups, messages }) => {
      const members = await groups.members(group.id);
      await groups.remove(group.id);
      const others = members.filter((m) => m.userId !== user.id).map((m) => m.userId);
      return messages.enqueue(others.map((recipientId) => ({ recipientId, message: this.notice('group-deleted', user, ref, `${user.username} deleted the group ${groupNotation(ref)}`) })));
    });
    await this.delivery.push(queued);
    return { id: group.id, name: group.name, creator: ref.creator, online: 0, total: 0, banned: group.ban !== null };
  }

  /** Adds a user to a group (owner or admin); they are told, live or at their next attach. */
  async invite(user: User, named: GroupName, rawUsername: string): Promise<GroupView> {
    const { group, ref } = await this.resolve(user, named);
    assertCanManageMembers(user, group);
    const target = await findUser(this.repositories.users, rawUsername);
    const queued = await this.unitOfWork.run(async ({ groups, messages }) => {
      await groups.addMember(group.id, target.id, 'member', this.clock.now());
      return messages.enqueue([{ recipientId: target.id, message: this.notice('group-invited', user, ref, `${user.username} added you to the group ${groupNotation(ref)}`) }]);
    });
    await this.delivery.push(queued);
    return this.summaryOf(group);
  }

  /** Removes a member (owner or admin; never yourself, never the owner); they are told. */
  async kick(user: User, named: GroupName, rawUsername: string): Promise<GroupView> {
    const { group, ref } = await this.resolve(user, named);
    assertCanManageMembers(user, group);
    const target = await findUser(this.repositories.users, rawUsername);
    const queued = await this.unitOfWork.run(async ({ groups, messages }) => {
      const membership = await groups.membership(group.id, target.id);
      if (!membership) throw new DomainError('NOT_MEMBER', `${target.username} is not in the group ${groupNotation(ref)}`);
      assertCanKick(user, membership);
      await groups.removeMember(group.id, target.id);
      return messages.enqueue([{ recipientId: target.id, message: this.notice('group-kicked', user, ref, `${user.username} removed you from the group ${groupNotation(ref)}`) }]);
    });
    await this.delivery.push(queued);
    return this.summaryOf(group);
  }

  /** One page of the groups the user belongs to, by id, with how many members are online. */
  async list(user: User, args: PageArgs = {}): Promise<Page<GroupView>> {
    return this.views(await readPage(args, (page) => this.repositories.groups.groupsOf(user.id, page), (summary) => summary.group.id, this.maxPageSize));
  }

  /** One page of every group, by id: for admins. */
  async all(args: PageArgs = {}): Promise<Page<GroupView>> {
    return this.views(await readPage(args, (page) => this.repositories.groups.all(page), (summary) => summary.group.id, this.maxPageSize));
  }

  /** The group a name and its creator's name denote, whoever asks. */
  async exact(rawName: string, rawCreator: string): Promise<{ group: Group; ref: GroupRef }> {
    const name = parseGroupName(rawName);
    const creator = parseUsername(rawCreator);
    for (const group of await this.repositories.groups.byName(name)) {
      const ref = await this.refOf(group);
      if (ref.creator === creator) return { group, ref };
    }
    throw new DomainError('UNKNOWN_GROUP', `there is no group ${groupNotation({ name, creator })}`);
  }

  /** Sends to every member but the sender: see `send`. Admins may send to any group, member or not. */
  async sendAsAdmin(
    admin: User,
    group: Group,
    ref: GroupRef,
    text: string,
    clientMsgId?: string,
  ): Promise<{ recipients: number; queueFull: string[]; sentAt: Date; repeat: boolean }> {
    assertGroupNotBanned(group);
    const sentAt = this.clock.now();
    const message: ChatMessage = { kind: 'group', from: { id: admin.id, username: admin.username }, fromAdmin: true, group: ref, text: parseMessageText(text), sentAt };
    const members = await this.repositories.groups.members(group.id);
    const deliveries = members.filter((m) => m.userId !== admin.id).map((m) => ({ recipientId: m.userId, message }));
    const receipt = await this.delivery.store(admin.id, { deliveries, sentAt, clientMsgId });
    return { recipients: receipt.recipients, queueFull: await this.namesOf(receipt.full), sentAt: receipt.sentAt, repeat: receipt.repeat };
  }

  /**
   * Sends to every member but the sender: one write for the whole group, then pushed to
   * those attached. Resolves once every copy is durable. Members whose queue is full are left
   * out and named in `queueFull`; a `clientMsgId` the sender used before answers the first send.
   */
  send(user: User, groupId: GroupId, rawText: string, clientMsgId?: string): Promise<GroupSent> {
    return this.submit(user, groupId, rawText, clientMsgId).stored;
  }

  /** `send` for a client with several sends in flight: see `MessagingService.submitPrivate`. */
  submit(user: User, groupId: GroupId, rawText: string, clientMsgId?: string): Submitted<GroupSent> {
    return this.delivery.send(user.id, async () => {
      const text = parseMessageText(rawText);
      const group = await this.repositories.groups.byId(groupId);
      if (!group || !(await this.repositories.groups.membership(group.id, user.id))) {
        throw new DomainError(group ? 'NOT_MEMBER' : 'UNKNOWN_GROUP', group ? `you are not in the group "${group.name}"` : 'that group does not exist (any more): run `groups` again');
      }
      assertGroupNotBanned(group);
      const ref = await this.refOf(group);
      const sentAt = this.clock.now();
      const members = await this.repositories.groups.members(group.id);
      const message: ChatMessage = { kind: 'group', from: { id: user.id, username: user.username }, fromAdmin: user.isAdmin, group: ref, text, sentAt };
      const deliveries = members.filter((m) => m.userId !== user.id).map((m) => ({ recipientId: m.userId, message }));
      const answer = async (receipt: SendReceipt): Promise<GroupSent> => ({
        group: await this.view(group, ref.creator),
        recipients: receipt.recipients,
        sentAt: receipt.sentAt,
        queueFull: await this.namesOf(receipt.full),
      });
      return { deliveries, sentAt, clientMsgId, answer };
    });
  }

  /**
   * The one group a command means. Users see the groups they belong to; admins see all.
   * Several of that name: refused with the candidates, unless `creator` picks one.
   */
  private async resolve(user: User, named: GroupName): Promise<{ group: Group; ref: GroupRef }> {
    const name = parseGroupName(named.name);
    const creator = named.creator === undefined ? undefined : parseUsername(named.creator);
    const candidates: { group: Group; ref: GroupRef }[] = [];
    for (const group of await this.repositories.groups.byName(name)) {
      const visible = user.isAdmin || (await this.repositories.groups.membership(group.id, user.id)) !== undefined;
      const ref = await this.refOf(group);
      if (visible && (creator === undefined || ref.creator === creator)) candidates.push({ group, ref });
    }
    if (candidates.length === 0) {
      throw new DomainError('UNKNOWN_GROUP', creator ? `you have no group ${groupNotation({ name, creator })}` : `you have no group called "${name}"`);
    }
    if (candidates.length > 1) {
      throw new DomainError(
        'AMBIGUOUS_GROUP',
        `${candidates.length} groups are called "${name}": say which, as ${candidates.map((c) => groupNotation(c.ref)).join(' or ')}`,
        { candidates: candidates.map((c) => ({ name: c.ref.name, creator: c.ref.creator })) },
      );
    }
    return candidates[0]!;
  }

  private async namesOf(userIds: readonly number[]): Promise<string[]> {
    const users = await Promise.all(userIds.map((id) => this.repositories.users.byId(id)));
    return users.flatMap((user) => (user ? [user.username] : []));
  }

  private async refOf(group: Group): Promise<GroupRef> {
    const creator = await this.repositories.users.byId(group.creatorId);
    return { id: group.id, name: group.name, creator: creator!.username };
  }

  private async summaryOf(group: Group): Promise<GroupView> {
    return this.view(group, (await this.refOf(group)).creator);
  }

  private async views({ items, nextCursor }: Page<GroupSummary>): Promise<Page<GroupView>> {
    return { items: await Promise.all(items.map(({ group, creatorName }) => this.view(group, creatorName))), nextCursor };
  }

  /** The group as clients see it: its name, its creator's name, its members counted now. */
  async view(group: Group, creator: string): Promise<GroupView> {
    const members = await this.repositories.groups.members(group.id);
    const online = (await this.sessions.onlineAmong(members.map((m) => m.userId))).size;
    return { id: group.id, name: group.name, creator, online, total: members.length, banned: group.ban !== null };
  }

  private notice(topic: NoticeTopic, actor: User, group: GroupRef, text: string): ChatMessage {
    return { kind: 'notice', topic, from: { id: actor.id, username: actor.username }, group, text, sentAt: this.clock.now() };
  }
}
