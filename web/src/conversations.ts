import type { MessagePayload } from '../../interfaces/wire/operations.js';

/** A conversation: with one user (`user:bob`) or in one group (`group:12`). */
export type ConversationKey = `user:${string}` | `group:${number}`;

/** One line of a conversation as the page shows it. */
export interface ChatLine {
  /** The delivery id, or null for what this page sent. */
  readonly id: number | null;
  readonly from: string | null;
  readonly fromAdmin: boolean;
  readonly text: string;
  readonly sentAt: string;
  readonly kind: 'mine' | 'theirs' | 'notice';
}

/** The key of the conversation with `username` (names are compared without case). */
export function userKey(username: string): ConversationKey {
  return `user:${username.toLowerCase()}`;
}

/** The key of the conversation in group `id`. */
export function groupKey(id: number): ConversationKey {
  return `group:${id}`;
}

/** Where a pushed message belongs: its group, its sender, or for a notice its group or sender (null: nowhere in particular). */
export function conversationOf(message: MessagePayload): ConversationKey | null {
  if (message.kind === 'group') return groupKey(message.group.id);
  if (message.kind === 'private') return userKey(message.from);
  if (message.group) return groupKey(message.group.id);
  return message.from === null ? null : userKey(message.from);
}

/**
 * The conversations of this page: the lines of each in the order they arrived (the server
 * pushes the backlog oldest first, then live messages), each delivery once however often it
 * is pushed, and an unread count for every conversation not in view. No DOM here.
 */
export class ConversationStore {
  private readonly seen = new Set<number>();
  private readonly lines = new Map<ConversationKey, ChatLine[]>();
  private readonly unread = new Map<ConversationKey, number>();
  private current: ConversationKey | null = null;

  /** The conversation in view, if any. */
  get active(): ConversationKey | null {
    return this.current;
  }

  /**
   * Takes a pushed delivery; answers the conversation it joined, or null for a repeat of an
   * id already taken (or a notice about nothing in particular, which joins no conversation).
   */
  receive(id: number, message: MessagePayload): ConversationKey | null {
    if (this.seen.has(id)) return null;
    this.seen.add(id);
    const key = conversationOf(message);
    if (key === null) return null;
    const kind = message.kind === 'notice' ? 'notice' : 'theirs';
    const fromAdmin = message.kind === 'notice' ? false : message.fromAdmin;
    this.append(key, { id, from: message.from, fromAdmin, text: message.text, sentAt: message.sentAt, kind });
    if (key !== this.current) this.unread.set(key, this.unreadIn(key) + 1);
    return key;
  }

  /** Adds what this page sent, once the server stored it. */
  sent(key: ConversationKey, from: string, text: string, sentAt: string): void {
    this.append(key, { id: null, from, fromAdmin: false, text, sentAt, kind: 'mine' });
  }

  /** Brings a conversation into view (null: none), which clears its unread count. */
  open(key: ConversationKey | null): void {
    this.current = key;
    if (key !== null) this.unread.delete(key);
  }

  /** The lines of a conversation, oldest first. */
  linesOf(key: ConversationKey): readonly ChatLine[] {
    return this.lines.get(key) ?? [];
  }

  /** How many lines arrived in a conversation while it was not in view. */
  unreadIn(key: ConversationKey): number {
    return this.unread.get(key) ?? 0;
  }

  /** Every conversation that has lines. */
  keys(): ConversationKey[] {
    return [...this.lines.keys()];
  }

  private append(key: ConversationKey, line: ChatLine): void {
    const lines = this.lines.get(key);
    if (lines) lines.push(line);
    else this.lines.set(key, [line]);
  }
}
