import { DomainError } from './domain-error.js';
import { characterCount, hasControlCharacters, hasInvisibleCharacters, hasLoneSurrogate } from './text.js';
import type { Ban, UserId, Username } from './user.js';

export type GroupId = number;

export const GROUP_NAME_MAX_LENGTH = 32;
/** How many groups one user may have created and not deleted. */
export const MAX_GROUPS_PER_CREATOR = 10;

/** A group is named by its name plus its creator: two creators may each have a group called "team". */
export interface Group {
  readonly id: GroupId;
  readonly name: string;
  readonly creatorId: UserId;
  readonly ban: Ban | null;
  readonly createdAt: Date;
}

/** What a message or a notice says about its group, frozen at the time it was sent. */
export interface GroupRef {
  readonly id: GroupId;
  readonly name: string;
  readonly creator: Username;
}

/** What would let a group name be misread inside its notation: spaces, quotes, brackets, `@`, `:`. */
const NAME_NEEDS_QUOTES = /[\s\p{Z}"'\\[\]@:]|^$/u;

/**
 * The one way a group is written, in notices and in chatctl, output and arguments alike:
 * `team@alice` is the group "team" created by alice. A name that is not one plain word is
 * quoted, `"` and `\` escaped: `"book club"@alice`. Usernames never need quotes.
 */
export function groupNotation(group: { readonly name: string; readonly creator: string }): string {
  const name = NAME_NEEDS_QUOTES.test(group.name) ? `"${group.name.replace(/["\\]/g, '\\$&')}"` : group.name;
  return `${name}@${group.creator}`;
}

/**
 * A group name is 1 to 32 characters after trimming, any script, no control characters and
 * no invisible ones (zero-width, bidi controls, fillers), so two names that look alike are
 * alike and none reorders the line it is printed on. Names compare exactly: "Team" and "team" are different groups.
 */
export function parseGroupName(raw: string): string {
  const name = raw.trim();
  if (name.length === 0) throw new DomainError('INVALID_GROUP_NAME', 'a group name cannot be empty');
  if (characterCount(name) > GROUP_NAME_MAX_LENGTH) {
    throw new DomainError('INVALID_GROUP_NAME', `a group name has at most ${GROUP_NAME_MAX_LENGTH} characters`);
  }
  if (hasControlCharacters(name) || hasLoneSurrogate(name)) {
    throw new DomainError('INVALID_GROUP_NAME', 'a group name cannot hold control characters');
  }
  if (hasInvisibleCharacters(name)) {
    throw new DomainError('INVALID_GROUP_NAME', 'a group name cannot hold invisible characters (zero-width, bidi controls, fillers)');
  }
  return name;
}

export function assertCanCreateAnotherGroup(groupsAlreadyCreated: number, limit = MAX_GROUPS_PER_CREATOR): void {
  if (groupsAlreadyCreated >= limit) {
    throw new DomainError('GROUP_LIMIT_REACHED', `you already have ${limit} groups, the most one user may create`, { limit });
  }
}

export function assertGroupNotBanned(group: Group): void {
  if (group.ban) throw new DomainError('GROUP_BANNED', `the group "${group.name}" is banned`);
}
