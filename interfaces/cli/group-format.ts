import type { GroupView } from '../../application/group-service.js';

/** `groupname creator online/total`, as the seed lists groups, with a mark when banned. */
export function formatGroup(group: GroupView): string {
  return `${group.name} ${group.creator} ${group.online}/${group.total}${group.banned ? ' (banned)' : ''}`;
}
