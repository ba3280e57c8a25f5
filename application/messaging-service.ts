import { DomainError, parseMessageText, parseUsername, type MessageId, type User } from '../domain/index.js';
import { findUser } from './find-user.js';
import type { Clock } from './ports/clock.js';
import type { Repositories } from './ports/unit-of-work.js';
import type { DeliveryService, Submitted } from './delivery-service.js';

export interface SentMessage {
  /** The server's id for the delivery to the recipient. */
  readonly id: MessageId;
  readonly to: string;
  readonly sentAt: Date;
}

/** Private messages between friends. */
export class MessagingService {
  constructor(
    private readonly repositories: Repositories,
    private readonly delivery: DeliveryService,
    private readonly clock: Clock,
  ) {}

  /**
   * Sends to a friend; resolves once the message is durable, whether or not they are attached.
   * A `clientMsgId` the sender used before answers the first send's id and time and stores
   * nothing. Refused with QUEUE_FULL when the friend's queue is full.
   */
  sendPrivate(sender: User, rawUsername: string, rawText: string, clientMsgId?: string): Promise<SentMessage> {
    return this.submitPrivate(sender, rawUsername, rawText, clientMsgId).stored;
  }

  /**
   * `sendPrivate` for a client with several sends in flight: the message takes its place
   * after the sender's earlier sends during this call (so the caller may go on to the next at
   * once), and `stored` settles once it is durable, or with the refusal.
   */
  submitPrivate(sender: User, rawUsername: string, rawText: string, clientMsgId?: string): Submitted<SentMessage> {
    return this.delivery.send(sender.id, async () => {
      const text = parseMessageText(rawText);
      const username = parseUsername(rawUsername);
      if (username === sender.username) throw new DomainError('CANNOT_MESSAGE_SELF', 'you cannot send a message to yourself');
      const recipient = await findUser(this.repositories.users, username);
      if (!(await this.repositories.friendships.areFriends(sender.id, recipient.id))) {
        throw new DomainError('NOT_FRIENDS', `${recipient.username} is not your friend: add them first`);
      }
      const sentAt = this.clock.now();
      return {
        deliveries: [
          {
            recipientId: recipient.id,
            message: { kind: 'private', from: { id: sender.id, username: sender.username }, fromAdmin: sender.isAdmin, text, sentAt },
          },
        ],
        sentAt,
        clientMsgId,
        answer: (receipt) => {
          if (receipt.firstId === null) throw this.delivery.queueFull(recipient.username);
          return { id: receipt.firstId, to: recipient.username, sentAt: receipt.sentAt };
        },
      };
    });
  }
}
