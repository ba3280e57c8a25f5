import { DomainError, type MessageId, type OfflineMessage, type UserId } from '../domain/index.js';
import type { Delivery } from './ports/message-queue.js';
import type { KickReason, SessionHub, SessionSink } from './ports/session-hub.js';
import type { Repositories, UnitOfWork } from './ports/unit-of-work.js';
import { WriteBatcher } from './write-batcher.js';

/** How many queued deliveries an attach reads and pushes at a time. */
export const REPLAY_PAGE_SIZE = 200;

/** Ends an attachment. */
export type Detach = () => void;

/**
 * Holds live pushes while the backlog is replayed, so the client sees one sequence,
 * oldest first, and then passes them on.
 */
class ReplayingSink implements SessionSink {
  private held: OfflineMessage[] | null = [];

  constructor(private readonly inner: SessionSink) {}

  push(delivery: OfflineMessage): void {
    if (this.held) this.held.push(delivery);
    else this.inner.push(delivery);
  }

  kick(reason: KickReason, message: string): void {
    this.held = null;
    this.inner.kick(reason, message);
  }

  ready(): Promise<void> {
    return this.inner.ready();
  }

  /** Ends the replay: passes on what arrived meanwhile that the replay did not already carry. */
  release(replayedUpTo: MessageId): void {
    const held = this.held ?? [];
    this.held = null;
    for (const delivery of held) if (delivery.id > replayedUpTo) this.inner.push(delivery);
  }
}

/**
 * Delivery that loses nothing: every message is written to the recipient's queue before
 * the sender hears `ok`, pushed to their attached connections, and removed only when
 * their client acknowledges it.
 */
export class DeliveryService {
  private readonly writes: WriteBatcher<Delivery, OfflineMessage>;

  constructor(
    private readonly repositories: Repositories,
    private readonly unitOfWork: UnitOfWork,
    private readonly sessions: SessionHub,
  ) {
    this.writes = new WriteBatcher(async (deliveries) => {
      const queued = await this.repositories.messages.enqueue(deliveries);
      this.push(queued);
      return queued;
    });
  }

  /**
   * Queues the deliveries durably, then pushes each to its recipient if attached.
   * Deliveries submitted while a write is under way share the next write.
   */
  deliver(deliveries: readonly Delivery[]): Promise<OfflineMessage[]> {
    return this.writes.submit(deliveries);
  }

  /** Pushes deliveries already queued (in a unit of work of the caller's) to attached recipients. */
  push(queued: readonly OfflineMessage[]): void {
    for (const delivery of queued) this.sessions.deliver(delivery.recipientId, delivery);
  }

  /**
   * Attaches the sink and pushes everything queued for the user, oldest first, waiting for
   * the sink to have room between pages. Resolves once the backlog has been pushed, with
   * how many deliveries it held.
   */
  async attach(userId: UserId, sink: SessionSink): Promise<{ detach: Detach; replayed: number }> {
    const replaying = new ReplayingSink(sink);
    this.sessions.attach(userId, replaying);
    const detach = () => this.sessions.detach(userId, replaying);
    let last: MessageId = 0;
    let replayed = 0;
    try {
      for (;;) {
        const page = await this.repositories.messages.pendingFor(userId, { after: last, limit: REPLAY_PAGE_SIZE });
        for (const delivery of page) sink.push(delivery);
        replayed += page.length;
        last = page.at(-1)?.id ?? last;
        if (page.length < REPLAY_PAGE_SIZE) break;
        await sink.ready();
      }
    } catch (error) {
      detach();
      throw error;
    }
    replaying.release(last);
    return { detach, replayed };
  }

  /**
   * Forgets deliveries the user's client has received. All or nothing: if any id is not
   * waiting for this user, nothing is removed and the refusal names the ids.
   */
  async acknowledge(userId: UserId, ids: readonly MessageId[]): Promise<MessageId[]> {
    const wanted = [...new Set(ids)];
    return this.unitOfWork.run(async ({ messages }) => {
      const removed = await messages.acknowledge(userId, wanted);
      if (removed.length < wanted.length) {
        const known = new Set(removed);
        const unknown = wanted.filter((id) => !known.has(id));
        throw new DomainError('UNKNOWN_MESSAGE', `no message waits for you with id ${unknown.join(', ')}`, { ids: unknown });
      }
      return removed;
    });
  }
}
