import type { UserId } from '../domain/index.js';
import { SILENT_LOGGER, type Logger } from './ports/logger.js';
import type { GroupPresence, Notification, SessionHub } from './ports/session-hub.js';
import type { Repositories } from './ports/unit-of-work.js';

/**
 * Tells people when someone they know comes online or goes offline. The hub decides when a
 * user's presence changed (debounced: see SessionHub.onPresence); this service decides who
 * hears of it and what: each friend gets a `presence` notice naming the user, and every other
 * member of the user's groups a `group-presence` notice with the new online counts of the
 * groups they share, naming only the groups. Notices are ephemeral: a connection attached later
 * reads presence from `friends` and `groups`.
 */
export class PresenceService {
  /** Announcements under way, so a host (or a test) can wait for them. */
  private readonly running = new Set<Promise<void>>();

  /** Listens to the hub's presence changes from now on. */
  constructor(
    private readonly repositories: Pick<Repositories, 'users' | 'friendships' | 'groups'>,
    private readonly sessions: SessionHub,
    private readonly log: Logger = SILENT_LOGGER,
  ) {
    sessions.onPresence((userId, online) => {
      const announcing = this.announce(userId, online).catch((error: unknown) =>
        this.log.warn({ event: 'presence_failed', err: error }, 'a presence change could not be announced; friends see it at their next listing'),
      );
      this.running.add(announcing);
      void announcing.finally(() => this.running.delete(announcing));
    });
  }

  /** Resolves once the announcements begun so far are sent. */
  async settled(): Promise<void> {
    await Promise.all(this.running);
  }

  /** Tells the user's friends and the other members of their groups that the user is now online or offline. */
  async announce(userId: UserId, online: boolean): Promise<void> {
    const { users, friendships, groups } = this.repositories;
    const [user, friends, memberships] = await Promise.all([users.byId(userId), friendships.friendsOf(userId), groups.groupsOf(userId)]);
    if (!user) return;
    const notifications: Notification[] = friends.map((friend) => ({ userId: friend.id, notice: { type: 'presence', username: user.username, online } }));
    const memberLists = await Promise.all(memberships.map(({ group }) => groups.members(group.id)));
    const everyone = [...new Set(memberLists.flatMap((members) => members.map((member) => member.userId)))];
    const onlineNow = await this.sessions.onlineAmong(everyone);
    // What each other member hears: the groups they share with the user, counted now.
    const shared = new Map<UserId, GroupPresence[]>();
    memberships.forEach(({ group }, index) => {
      const members = memberLists[index] ?? [];
      const count: GroupPresence = { id: group.id, name: group.name, online: members.filter((member) => onlineNow.has(member.userId)).length, total: members.length };
      for (const { userId: memberId } of members) {
        if (memberId === userId) continue;
        let list = shared.get(memberId);
        if (!list) shared.set(memberId, (list = []));
        list.push(count);
      }
    });
    for (const [memberId, counts] of shared) notifications.push({ userId: memberId, notice: { type: 'group-presence', groups: counts } });
    await this.sessions.notify(notifications);
  }
}
