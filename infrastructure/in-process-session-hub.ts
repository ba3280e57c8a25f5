import type { OfflineMessage, UserId } from '../domain/index.js';
import type { KickReason, SessionHub, SessionSink } from '../application/ports/session-hub.js';

/** The session hub for a single server process: a map from user to their attached connections. */
export class InProcessSessionHub implements SessionHub {
  private readonly sinks = new Map<UserId, Set<SessionSink>>();

  attach(userId: UserId, sink: SessionSink): void {
    let set = this.sinks.get(userId);
    if (!set) this.sinks.set(userId, (set = new Set()));
    set.add(sink);
  }

  detach(userId: UserId, sink: SessionSink): void {
    const set = this.sinks.get(userId);
    if (!set) return;
    set.delete(sink);
    if (set.size === 0) this.sinks.delete(userId);
  }

  isOnline(userId: UserId): boolean {
    return this.sinks.has(userId);
  }

  deliver(userId: UserId, delivery: OfflineMessage): number {
    const set = this.sinks.get(userId);
    if (!set) return 0;
    for (const sink of set) sink.push(delivery);
    return set.size;
  }

  kick(userId: UserId, reason: KickReason, message: string, keep?: SessionSink): number {
    const set = this.sinks.get(userId);
    if (!set) return 0;
    let kicked = 0;
    for (const sink of [...set]) {
      if (sink === keep) continue;
      this.detach(userId, sink);
      sink.kick(reason, message);
      kicked++;
    }
    return kicked;
  }
}
