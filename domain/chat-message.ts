import { DomainError } from './domain-error.js';
import type { GroupRef } from './group.js';
import { characterCount, hasControlCharacters, hasLoneSurrogate } from './text.js';
import type { UserId, Username } from './user.js';

/** Longest message text, in characters (Unicode code points). */
export const MESSAGE_MAX_LENGTH = 4000;

export interface Correspondent {
  readonly id: UserId;
  readonly username: Username;
}

/** Things the server tells a user that nobody typed: a new friend, an invitation, a kick, a deleted group. */
export type NoticeTopic = 'friend-added' | 'group-invited' | 'group-kicked' | 'group-deleted';

/**
 * What one recipient is given. `fromAdmin` marks anything an admin sent: clients show it
 * with a system tag.
 */
export type ChatMessage =
  | {
      readonly kind: 'private';
      readonly from: Correspondent;
      readonly fromAdmin: boolean;
      readonly text: string;
      readonly sentAt: Date;
    }
  | {
      readonly kind: 'group';
      readonly from: Correspondent;
      readonly fromAdmin: boolean;
      readonly group: GroupRef;
      readonly text: string;
      readonly sentAt: Date;
    }
  | {
      readonly kind: 'notice';
      readonly topic: NoticeTopic;
      readonly from: Correspondent | null;
      readonly group: GroupRef | null;
      readonly text: string;
      readonly sentAt: Date;
    };

/**
 * Message text keeps its spaces and newlines but must say something: 1 to 4000
 * characters, not only white space, no control characters other than newline and tab.
 */
export function parseMessageText(raw: string): string {
  if (raw.trim().length === 0) throw new DomainError('EMPTY_MESSAGE', 'a message cannot be empty');
  // Code points never outnumber UTF-16 units, so most texts need no counting.
  const length = raw.length <= MESSAGE_MAX_LENGTH ? raw.length : characterCount(raw);
  if (length > MESSAGE_MAX_LENGTH) {
    throw new DomainError(
      'MESSAGE_TOO_LONG',
      `a message has at most ${MESSAGE_MAX_LENGTH} characters (got ${length})`,
      { limit: MESSAGE_MAX_LENGTH },
    );
  }
  if (hasLoneSurrogate(raw)) throw new DomainError('INVALID_TEXT', 'the message is not valid Unicode text');
  if (hasControlCharacters(raw, { allowNewlines: true })) {
    throw new DomainError('INVALID_TEXT', 'a message cannot hold control characters other than newline and tab');
  }
  return raw;
}
