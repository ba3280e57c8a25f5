import type { ChatMessage } from './chat-message.js';
import type { UserId } from './user.js';

/** The server's id for one delivery to one recipient; clients acknowledge it and drop repeats of it. */
export type MessageId = number;

/** A message waiting in a recipient's queue until their client acknowledges it. */
export interface OfflineMessage {
  readonly id: MessageId;
  readonly recipientId: UserId;
  readonly message: ChatMessage;
}
