import type { ChatMessage, MessageId, OfflineMessage, UserId } from '../domain/index.js';
import { REPLAY_PAGE_SIZE, type DeliveryService, type Detach } from './delivery-service.js';
import type { KickReason, SessionSink } from './ports/session-hub.js';

/** A message waiting for a user: what was sent, and the id their host acknowledges it by. */
export type InboxMessage = ChatMessage & { readonly id: MessageId };

/** Why a subscription ended: the session's end (a login elsewhere, a logout, a ban, too slow, shutdown) or `close()`. */
export interface InboxEnd {
  readonly reason: KickReason | 'CLOSED';
  readonly message: string;
}

/**
 * Most messages a subscription holds that its reader has not taken. A reader that falls this
 * far behind is ended with TOO_SLOW, as a connection that does not read is: nothing is lost,
 * since everything it held is still queued and the next subscription replays it.
 */
export const MAX_UNREAD_PUSHES = 1000;

export function inboxMessage(delivery: OfflineMessage): InboxMessage {
  return { ...delivery.message, id: delivery.id };
}

/**
 * A user's messages as they arrive, for a host reading them in-process: first everything
 * queued, oldest first, then each new one as it is sent. An async iterator: `for await` over
 * it, and `break` (or `close()`) to leave. Like a connection attached by `listen`, it takes
 * nothing out of the queue: acknowledge each message (`UserHandle.ack`) once it is handled, or
 * it comes again on the next subscription. It ends, after yielding what it already holds, when
 * the user's session ends: a password login anywhere, a logout, a ban; `ended` says why.
 */
export class InboxSubscription implements AsyncIterableIterator<InboxMessage> {
  private readonly unread: InboxMessage[] = [];
  /** Reads waiting for a message. */
  private readonly readers: { resolve(result: IteratorResult<InboxMessage>): void; reject(error: unknown): void }[] = [];
  private readonly roomWaiters: (() => void)[] = [];
  private failure: { readonly error: unknown } | null = null;
  private detach: Detach | null = null;
  private end: InboxEnd | null = null;

  /** What the hub holds: pushes and kicks for this subscription. */
  private readonly sink: SessionSink;

  private constructor() {
    const gone = () => this.end !== null;
    this.sink = {
      push: (delivery) => this.receive(inboxMessage(delivery)),
      // A subscription carries messages only: presence is read from `friends` and `groups`.
      notify: () => {},
      kick: (reason, message) => this.finish({ reason, message }),
      ready: () => this.room(),
      get gone() {
        return gone();
      },
    };
  }

  /**
   * Attaches to the user's pushes and starts replaying their queue; returns at once, so the
   * reader can take the backlog while it is replayed. A failure to attach (storage or hub
   * unavailable) is thrown by the next read.
   */
  static open(delivery: DeliveryService, userId: UserId): InboxSubscription {
    const subscription = new InboxSubscription();
    delivery.attach(userId, subscription.sink).then(
      ({ detach }) => {
        subscription.detach = detach;
        if (subscription.end) void subscription.release();
      },
      (error: unknown) => {
        subscription.failure = { error };
        subscription.finish({ reason: 'CLOSED', message: 'the subscription could not attach' });
      },
    );
    return subscription;
  }

  /** Why the subscription ended, or null while it lasts. */
  get ended(): InboxEnd | null {
    return this.end;
  }

  /** The next message, waiting for one if none is held; done once the subscription has ended and everything held was taken. */
  next(): Promise<IteratorResult<InboxMessage>> {
    const message = this.unread.shift();
    if (message) {
      if (this.unread.length < REPLAY_PAGE_SIZE) for (const wake of this.roomWaiters.splice(0)) wake();
      return Promise.resolve({ value: message, done: false });
    }
    if (this.failure) return Promise.reject(this.failure.error as Error);
    if (this.end) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => this.readers.push({ resolve, reject }));
  }

  /** Leaving a `for await` loop early closes the subscription. */
  async return(): Promise<IteratorResult<InboxMessage>> {
    await this.close();
    return { value: undefined, done: true };
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  /** Stops receiving: what it held and was not taken stays queued for the next subscription. */
  async close(): Promise<void> {
    this.unread.length = 0;
    this.finish({ reason: 'CLOSED', message: 'the subscription was closed' });
    await this.release();
  }

  private receive(message: InboxMessage): void {
    if (this.end) return;
    const reader = this.readers.shift();
    if (reader) return reader.resolve({ value: message, done: false });
    this.unread.push(message);
    if (this.unread.length > MAX_UNREAD_PUSHES) {
      this.finish({ reason: 'TOO_SLOW', message: 'messages were not read fast enough; subscribe again to receive the rest' });
      void this.release();
    }
  }

  /** Resolves when the reader has taken enough for a replay to push another page, or once nothing more is taken. */
  private async room(): Promise<void> {
    while (!this.end && this.unread.length >= REPLAY_PAGE_SIZE) await new Promise<void>((resolve) => this.roomWaiters.push(resolve));
  }

  private finish(end: InboxEnd): void {
    if (this.end) return;
    this.end = end;
    for (const wake of this.roomWaiters.splice(0)) wake();
    for (const reader of this.readers.splice(0)) {
      if (this.failure) reader.reject(this.failure.error);
      else reader.resolve({ value: undefined, done: true });
    }
  }

  /**
   * Takes the sink out of the hub, once `attach` has said how; a hub's kick has taken it out
   * already, and detaching twice does nothing. Never fails: a hub that could not reach its
   * broker has forgotten the sink here and takes it out of presence once the broker is back.
   */
  private async release(): Promise<void> {
    const detach = this.detach;
    this.detach = null;
    await detach?.().catch(() => {});
  }
}
