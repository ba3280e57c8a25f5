import { DomainError, parseMessageText, parseUsername, type MessageId, type User } from '../domain/index.js';
import { findUser } from './find-user.js';
import type { Clock } from './ports/clock.js';
import type { Repositories } from './ports/unit-of-work.js';
import type { DeliveryService } from './delivery-service.js';

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

  /** Sends to a friend; resolves once the message is durable, whether or not they are attached. */
  async sendPrivate(sender: User, rawUsername: string, rawText: string): Promise<SentMessage> {
    const text = parseMessageText(rawText);
    const username = parseUsername(rawUsername);
    if (username === sender.username) throw new DomainError('CANNOT_MESSAGE_SELF', 'you cannot send a message to yourself');
    const recipient = await findUser(this.repositories.users, username);
    if (!(await this.repositories.friendships.areFriends(sender.id, recipient.id))) {
      throw new DomainError('NOT_FRIENDS', `${recipient.username} is not your friend: add them first`);
    }
    const sentAt = this.clock.now();
    const [queued] = await this.delivery.deliver([
      {
        recipientId: recipient.id,
        message: { kind: 'private', from: { id: sender.id, username: sender.username }, fromAdmin: sender.isAdmin, text, sentAt },
      },
    ]);
    return { id: queued!.id, to: recipient.username, sentAt };
  }
}
