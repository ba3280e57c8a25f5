import { CliError, EXIT } from './exit-codes.js';
import type { WireGroup } from '../wire/operations.js';
import { groupNotation as domainNotation } from '../../domain/index.js';
import { escapeInvisible } from './display.js';

/** A group as chatctl names it, in output and in arguments: its name, `@`, its owner. */
export interface GroupHandle {
  readonly name: string;
  /** Left out, in an argument, when the name alone is enough. */
  readonly owner?: string | undefined;
}

/**
 * The one notation for a group (see the domain's groupNotation): `team@alice`, or
 * `"book club"@alice`, with anything invisible escaped as every name chatctl prints.
 */
export function groupNotation(group: { readonly name: string; readonly creator: string }): string {
  return escapeInvisible(domainNotation(group));
}

/** `team@alice (3 members, 1 online)`, with `, banned` when it is: a group in a result line. */
export function describeGroup(group: WireGroup): string {
  const members = `${group.total} member${group.total === 1 ? '' : 's'}`;
  return `${groupNotation(group)} (${members}, ${group.online} online${group.banned ? ', banned' : ''})`;
}

/** The columns of every group table (groups, allgroup), as groupRow fills them. */
export const GROUP_COLUMNS = ['group', 'online', 'members', 'status'] as const;

/** A group's cells under GROUP_COLUMNS. */
export function groupRow(group: WireGroup): string[] {
  return [groupNotation(group), String(group.online), String(group.total), group.banned ? 'banned' : 'active'];
}

/**
 * Reads a group argument in the notation of groupNotation: `team@alice`, `"my team"@alice`,
 * or a bare name (`team`) when the command may resolve it alone. The owner is what follows
 * the last `@`, since usernames hold none; a name holding `@` is quoted (`"a@b"@alice`).
 */
export function parseGroupHandle(text: string): GroupHandle {
  const quoted = /^"((?:[^"\\]|\\.)*)"(?:@(.*))?$/s.exec(text);
  if (quoted) return { name: quoted[1]!.replace(/\\(.)/gs, '$1'), owner: quoted[2] };
  const at = text.lastIndexOf('@');
  if (at < 0) return { name: text };
  if (at === 0 || at === text.length - 1) {
    throw new CliError(EXIT.USAGE, `"${text}" is not a group: write it as name@owner, such as team@alice`, 'USAGE');
  }
  return { name: text.slice(0, at), owner: text.slice(at + 1) };
}

/** Like parseGroupHandle, for commands that must know the owner (the admin ones, which see every group). */
export function parseFullGroupHandle(text: string): Required<GroupHandle> {
  const handle = parseGroupHandle(text);
  if (handle.owner === undefined) {
    throw new CliError(EXIT.USAGE, `say whose group it is: write it as name@owner, such as ${groupNotation({ name: handle.name, creator: 'alice' })}`, 'USAGE');
  }
  return { name: handle.name, owner: handle.owner };
}
