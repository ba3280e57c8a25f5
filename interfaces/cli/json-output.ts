import type { ServerEvent } from '../client/chat-client.js';
import type { WireGroup } from '../wire/operations.js';
import type { GroupPayload } from '../wire/message-payload.js';

/**
 * The nouns of `chatctl --json`: every command prints one JSON document built from these,
 * so the same kind of thing has the same keys whichever command printed it. README.md
 * ("CLI output") documents them; ADR 0013 says why.
 */

/** A user. `online` is null where the command cannot know (whoami, promote). */
export interface UserJson {
  readonly username: string;
  readonly admin: boolean;
  readonly banned: boolean;
  readonly online: boolean | null;
}

/** A group: `name@owner` in the group notation; `members` counts them all, `online` those attached. */
export interface GroupJson {
  readonly id: number;
  readonly name: string;
  readonly owner: string;
  readonly members: number;
  readonly online: number;
  readonly banned: boolean;
}

/** A group as a pushed message names it: who it is, without counts. */
export interface GroupRefJson {
  readonly id: number;
  readonly name: string;
  readonly owner: string;
}

/**
 * A message this command sent: to a user (`to`) or to a group (`group`, `recipients`,
 * `queueFull`). A group message has no one id (each member's copy has its own): `id` is null.
 */
export type SentJson =
  | { readonly id: number; readonly to: string; readonly sentAt: string }
  | { readonly id: null; readonly group: GroupJson; readonly sentAt: string; readonly recipients: number; readonly queueFull: readonly string[] };

/** A group's online count, in a `group-presence` line. */
export interface GroupPresenceJson {
  readonly id: number;
  readonly name: string;
  readonly online: number;
  readonly members: number;
}

/** One line of `chatctl listen --json`: a message, a notice, a presence change, or the end of the session. */
export type EventJson =
  | { readonly type: 'message'; readonly id: number; readonly from: string; readonly system: boolean; readonly group: GroupRefJson | null; readonly text: string; readonly sentAt: string }
  | { readonly type: 'notice'; readonly id: number; readonly topic: string; readonly from: string | null; readonly group: GroupRefJson | null; readonly text: string; readonly sentAt: string }
  | { readonly type: 'kicked'; readonly reason: string; readonly message: string }
  | { readonly type: 'presence'; readonly username: string; readonly online: boolean }
  | { readonly type: 'group-presence'; readonly groups: readonly GroupPresenceJson[] };

/** What the server says of a user, in any of its shapes: a view, a listing row, a friend. */
interface UserLike {
  readonly username: string;
  readonly isAdmin: boolean;
  readonly banned: boolean;
  readonly online?: boolean;
}

export function userJson(user: UserLike): UserJson {
  return { username: user.username, admin: user.isAdmin, banned: user.banned, online: user.online ?? null };
}

export function groupJson(group: WireGroup): GroupJson {
  return { id: group.id, name: group.name, owner: group.creator, members: group.total, online: group.online, banned: group.banned };
}

function groupRefJson(group: GroupPayload | null): GroupRefJson | null {
  return group && { id: group.id, name: group.name, owner: group.creator };
}

export function eventJson(event: ServerEvent): EventJson {
  if (event.type === 'kicked') return { type: 'kicked', reason: event.reason, message: event.message };
  if (event.type === 'presence') return { type: 'presence', username: event.username, online: event.online };
  if (event.type === 'group-presence') {
    return { type: 'group-presence', groups: event.groups.map((group) => ({ id: group.id, name: group.name, online: group.online, members: group.total })) };
  }
  const { id, message } = event;
  if (message.kind === 'notice') {
    return { type: 'notice', id, topic: message.topic, from: message.from, group: groupRefJson(message.group), text: message.text, sentAt: message.sentAt };
  }
  const group = message.kind === 'group' ? groupRefJson(message.group) : null;
  return { type: 'message', id, from: message.from, system: message.fromAdmin, group, text: message.text, sentAt: message.sentAt };
}
