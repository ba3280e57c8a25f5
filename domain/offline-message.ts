import type { ChatMessage } from './chat-message.js';
import type { UserId } from './user.js';

/** The server's id for one delivery to one recipient; clients acknowledge it and drop repeats of it. */
export type MessageId = number;

/**
 * The ids given, each once, in their first order: the list itself when it is strictly
 * ascending, as a client acknowledges what it was pushed (no set is made for it), else a copy
 * without the repeats.
 */
export function distinctIds(ids: readonly MessageId[]): readonly MessageId[] {
  for (let i = 1; i < ids.length; i++) if (!(ids[i]! > ids[i - 1]!)) return [...new Set(ids)];
  return ids;
}

/** A message waiting in a recipient's queue until their client acknowledges it. */
export interface OfflineMessage {
  readonly id: MessageId;
  readonly recipientId: UserId;
  readonly message: ChatMessage;
}
