import { distinctIds, DomainError, type MessageId, type OfflineMessage, type UserId } from '../domain/index.js';
import { readPage, type Page, type PageArgs } from './paging.js';
import type { KickReason, Notice, SessionHub, SessionSink } from './ports/session-hub.js';
import type { Delivery, SendReceipt } from './ports/message-queue.js';
import type { Repositories } from './ports/unit-of-work.js';

/** How many queued deliveries an attach reads and pushes at a time. */
export const REPLAY_PAGE_SIZE = 200;

/**
 * Most live pushes held back while a backlog is replayed. A connection that takes longer to
 * read its backlog than its friends take to send this many is cut off (`TOO_SLOW`); nothing
 * is lost, since every held push is also in the queue and the next attach replays it.
 */
export const MAX_HELD_PUSHES = 4 * REPLAY_PAGE_SIZE;

/**
 * Most deliveries that may wait for one user (unacknowledged, pushed or not) before sends to
 * them are refused with QUEUE_FULL. ejabberd's mod_offline keeps 5000 per user by default,
 * Prosody's offline store has no limit; 10 000 leaves a user who is away for long room.
 */
export const DEFAULT_MAX_QUEUED_PER_USER = 10_000;

/** Ends an attachment. */
export type Detach = () => Promise<void>;

/** Work handed to storage: `stored` settles once it is durable (or refused). */
export interface Submitted<T> {
  readonly stored: Promise<T>;
}

/** A message a user sends: one delivery per recipient, its time, and the client's id for it. */
export interface OutgoingMessage {
  readonly deliveries: readonly Delivery[];
  readonly sentAt: Date;
  /** The client's id for the message: a retry carrying it gets the first send's receipt and stores nothing. */
  readonly clientMsgId?: string | undefined;
}

/** What a send checked and will queue, and how its caller's answer is made from the receipt. */
export interface PreparedSend<T> extends OutgoingMessage {
  answer(receipt: SendReceipt): T | Promise<T>;
}

/** What `acknowledge` did with each id: removed now, or not waiting for this user (already removed, or never theirs). */
export interface Acknowledgement {
  readonly acknowledged: MessageId[];
  readonly unknown: MessageId[];
}

type Outcome<T> = { readonly prepared: PreparedSend<T> } | { readonly error: unknown };

/** A send waiting in its sender's lane: how its preparation ended, once it has, how its `stored` settles, and who waits for it to leave the lane. */
interface Turn<T> {
  outcome: Outcome<T> | undefined;
  resolve(answer: T | PromiseLike<T>): void;
  reject(error: unknown): void;
  handedOver: (() => void)[] | null;
}

/**
 * Holds live pushes while the backlog is replayed, so the client sees one sequence, oldest
 * first, and then passes them on. A held push that a replayed page also carried is dropped;
 * one the pages did not carry (a lower id that committed after a page was read) is passed on.
 */
class ReplayingSink implements SessionSink {
  private held: Map<MessageId, OfflineMessage> | null = new Map();
  private kicked = false;

  constructor(private readonly inner: SessionSink) {}

  push(delivery: OfflineMessage): void {
    if (!this.held) return this.inner.push(delivery);
    this.held.set(delivery.id, delivery);
    if (this.held.size > MAX_HELD_PUSHES) this.kick('TOO_SLOW', 'your backlog is not read fast enough; attach again to receive the rest');
  }

  kick(reason: KickReason, message: string): void {
    this.held = null;
    this.kicked = true;
    this.inner.kick(reason, message);
  }

  ready(): Promise<void> {
    return this.inner.ready();
  }

  /** Notices are not held: they say what is true now, whatever the replay has reached. */
  notify(notice: Notice): void {
    this.inner.notify(notice);
  }

  get gone(): boolean {
    return this.kicked || this.inner.gone;
  }

  /** Pushes a replayed delivery, and forgets a held push of the same id. */
  replay(delivery: OfflineMessage): void {
    this.held?.delete(delivery.id);
    this.inner.push(delivery);
  }

  /** Ends the replay: passes on, oldest first, what arrived meanwhile that the replay did not carry. */
  release(): void {
    const held = [...(this.held?.values() ?? [])].sort((a, b) => a.id - b.id);
    this.held = null;
    for (const delivery of held) this.inner.push(delivery);
  }
}

/**
 * Delivery that loses nothing: every message is written to the recipient's queue before
 * the sender hears `ok`, pushed to their attached connections, and removed only when
 * their client acknowledges it.
 */
export class DeliveryService {
  /** Per sender, the sends not yet handed over to storage, in the order sent. */
  private readonly lanes = new Map<UserId, Turn<unknown>[]>();

  constructor(
    private readonly repositories: Repositories,
    private readonly sessions: SessionHub,
    /** Most deliveries that may wait for one user: see DEFAULT_MAX_QUEUED_PER_USER. */
    readonly maxQueuedPerUser = DEFAULT_MAX_QUEUED_PER_USER,
  ) {}

  /**
   * A sender's message, in the order sent: `prepare` (the checks and lookups) runs at once,
   * alongside the sender's earlier sends still in progress, and what it returns is handed to
   * storage only after everything the sender sent earlier, so their deliveries get ascending
   * ids whatever each had to look up. The send takes its place in that order during this call,
   * so a caller may go on to the sender's next send at once; `stored` settles once the message
   * is durable, or with the refusal as soon as `prepare` refuses. A client may so have many
   * sends in flight on one connection, all sharing one commit.
   */
  send<T>(senderId: UserId, prepare: () => Promise<PreparedSend<T>>): Submitted<T> {
    let lane = this.lanes.get(senderId);
    if (!lane) this.lanes.set(senderId, (lane = []));
    const turn = { outcome: undefined, handedOver: null } as Turn<T>;
    const stored = new Promise<T>((resolve, reject) => {
      turn.resolve = resolve;
      turn.reject = reject;
    });
    lane.push(turn as Turn<unknown>);
    let preparing: Promise<PreparedSend<T>>;
    try {
      preparing = prepare();
    } catch (error) {
      preparing = Promise.reject(error as Error);
    }
    preparing.then(
      (prepared) => this.advance(senderId, turn, { prepared }),
      (error: unknown) => this.advance(senderId, turn, { error }),
    );
    return { stored };
  }

  /**
   * Resolves once every send the sender made so far has been handed to storage (or refused):
   * once the last of them has, since they go in order. Undefined when all have, the common
   * case. Work that must come after the sender's earlier sends (a kick from a group, a
   * logout) waits for it; sends made meanwhile do not hold it up.
   */
  handedOver(senderId: UserId): Promise<void> | undefined {
    const last = this.lanes.get(senderId)?.at(-1);
    if (!last) return undefined;
    return new Promise((resolve) => (last.handedOver ??= []).push(resolve));
  }

  /**
   * Records how a send's preparation ended and hands over to storage, in the order sent,
   * every prepared send at the head of the sender's lane: one prepared early waits for those
   * sent before it, whatever they had to look up.
   */
  private advance<T>(senderId: UserId, turn: Turn<T>, outcome: Outcome<T>): void {
    turn.outcome = outcome;
    // A refusal is told at once: it hands nothing over, so it has no place to wait for.
    if ('error' in outcome) turn.reject(outcome.error);
    const lane = this.lanes.get(senderId)!;
    for (let head = lane[0]; head?.outcome; head = lane[0]) {
      lane.shift();
      const { outcome, resolve, reject, handedOver } = head;
      if ('prepared' in outcome) {
        const { prepared } = outcome;
        this.store(senderId, prepared).then((receipt) => {
          try {
            resolve(prepared.answer(receipt));
          } catch (error) {
            reject(error);
          }
        }, reject);
      }
      for (const wake of handedOver ?? []) wake();
    }
    if (lane.length === 0) this.lanes.delete(senderId);
  }

  /**
   * Queues the deliveries durably, then pushes each to its recipient if attached. Resolves once
   * all are durable. They are handed to storage during this call, so deliveries given to an
   * earlier call get lower ids even while that call's write is under way.
   */
  async deliver(deliveries: readonly Delivery[]): Promise<OfflineMessage[]> {
    const queued = await this.repositories.messages.enqueue(deliveries);
    await this.push(queued);
    return queued;
  }

  /**
   * Queues a message a user sent, as `deliver` does, under the recipients' quota (a recipient
   * whose queue is full is left out and named in the receipt's `full`) and the client's id
   * for it (a repeat stores and pushes nothing and answers the first receipt).
   */
  async store(senderId: UserId, message: OutgoingMessage): Promise<SendReceipt> {
    const { deliveries, sentAt, clientMsgId } = message;
    const key = clientMsgId === undefined ? undefined : { senderId, clientMsgId };
    const receipt = await this.repositories.messages.send({ deliveries, sentAt, key, maxQueued: this.maxQueuedPerUser });
    await this.push(receipt.queued);
    return receipt;
  }

  /** How many deliveries wait for their recipients, all together: the queue depth, and a sign that storage answers. */
  waiting(): Promise<number> {
    return this.repositories.messages.countAll();
  }

  /** The refusal of a message to one user whose queue is full. */
  queueFull(recipient: string): DomainError {
    return new DomainError(
      'QUEUE_FULL',
      `${recipient} has ${this.maxQueuedPerUser} messages waiting, the most the server keeps: try again once they have read some`,
      { limit: this.maxQueuedPerUser, recipient },
    );
  }

  /** Pushes deliveries already queued (in a unit of work of the caller's) to attached recipients. */
  push(queued: readonly OfflineMessage[]): Promise<void> {
    return this.sessions.deliver(queued);
  }

  /**
   * Attaches the sink and pushes everything queued for the user, oldest first, waiting for
   * the sink to have room between pages. Resolves once the backlog has been pushed, with
   * how many deliveries it held.
   */
  async attach(userId: UserId, sink: SessionSink): Promise<{ detach: Detach; replayed: number }> {
    const replaying = new ReplayingSink(sink);
    await this.sessions.attach(userId, replaying);
    const detach = () => this.sessions.detach(userId, replaying);
    let last: MessageId = 0;
    let replayed = 0;
    try {
      for (;;) {
        if (replaying.gone) break;
        const page = await this.repositories.messages.pendingFor(userId, { after: last, limit: REPLAY_PAGE_SIZE });
        for (const delivery of page) replaying.replay(delivery);
        replayed += page.length;
        last = page.at(-1)?.id ?? last;
        if (page.length < REPLAY_PAGE_SIZE) break;
        await sink.ready();
      }
    } catch (error) {
      await detach();
      throw error;
    }
    replaying.release();
    return { detach, replayed };
  }

  /** One page of what waits for the user, oldest first, whether pushed or not; reading removes nothing (`acknowledge` does). */
  pending(userId: UserId, args: PageArgs = {}): Promise<Page<OfflineMessage>> {
    return readPage(args, (page) => this.repositories.messages.pendingFor(userId, page), (delivery) => delivery.id);
  }

  /**
   * Forgets deliveries the user's client has received. Idempotent: ids already removed, or
   * never this user's, come back as `unknown` and change nothing, so a client whose answer
   * was lost can send the same `ack` again.
   */
  async acknowledge(userId: UserId, ids: readonly MessageId[]): Promise<Acknowledgement> {
    const wanted = distinctIds(ids);
    const acknowledged = await this.repositories.messages.acknowledge(userId, wanted);
    // What storage removed is among what was asked: as many means all of it, the common case.
    if (acknowledged.length === wanted.length) return { acknowledged, unknown: [] };
    const removed = new Set(acknowledged);
    return { acknowledged, unknown: wanted.filter((id) => !removed.has(id)) };
  }
}
