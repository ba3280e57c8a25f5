import type { GroupView } from '../../application/group-service.js';
import { displayName } from './display.js';

/** `groupname creator online/total`, as the seed lists groups, with a mark when banned; a name with a space is quoted. */
export function formatGroup(group: GroupView): string {
  return `${displayName(group.name)} ${displayName(group.creator)} ${group.online}/${group.total}${group.banned ? ' (banned)' : ''}`;
}
