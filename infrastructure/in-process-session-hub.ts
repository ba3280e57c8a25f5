import type { OfflineMessage, UserId } from '../domain/index.js';
import type { KickReason, SessionHub, SessionSink } from '../application/ports/session-hub.js';

/** The session hub for a single server process: a map from user to their attached connections. */
export class InProcessSessionHub implements SessionHub {
  private readonly sinks = new Map<UserId, Set<SessionSink>>();
  private readonly endListeners: ((userId: UserId) => void)[] = [];

  async attach(userId: UserId, sink: SessionSink): Promise<void> {
    let set = this.sinks.get(userId);
    if (!set) this.sinks.set(userId, (set = new Set()));
    set.add(sink);
  }

  async detach(userId: UserId, sink: SessionSink): Promise<void> {
    this.remove(userId, sink);
  }

  async onlineAmong(userIds: readonly UserId[]): Promise<Set<UserId>> {
    return new Set(userIds.filter((id) => this.sinks.has(id)));
  }

  async deliver(deliveries: readonly OfflineMessage[]): Promise<void> {
    for (const delivery of deliveries) {
      const set = this.sinks.get(delivery.recipientId);
      if (set) for (const sink of set) sink.push(delivery);
    }
  }

  async kick(userId: UserId, reason: KickReason, message: string, keep?: SessionSink): Promise<void> {
    for (const listener of this.endListeners) listener(userId);
    const set = this.sinks.get(userId);
    if (!set) return;
    for (const sink of [...set]) {
      if (sink === keep) continue;
      this.remove(userId, sink);
      sink.kick(reason, message);
    }
  }

  onSessionEnded(listener: (userId: UserId) => void): void {
    this.endListeners.push(listener);
  }

  private remove(userId: UserId, sink: SessionSink): void {
    const set = this.sinks.get(userId);
    if (!set) return;
    set.delete(sink);
    if (set.size === 0) this.sinks.delete(userId);
  }
}
