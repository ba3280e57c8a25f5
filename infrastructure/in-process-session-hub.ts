import type { OfflineMessage, UserId } from '../domain/index.js';
import { DEFAULT_PRESENCE_GRACE_MS, endsPresenceAtOnce, type KickReason, type Notification, type SessionHub, type SessionSink } from '../application/ports/session-hub.js';

export interface InProcessSessionHubOptions {
  /** See DEFAULT_PRESENCE_GRACE_MS. */
  readonly presenceGraceMs?: number;
}

/** The session hub for a single server process: a map from user to their attached connections. */
export class InProcessSessionHub implements SessionHub {
  private readonly sinks = new Map<UserId, Set<SessionSink>>();
  private readonly endListeners: ((userId: UserId) => void)[] = [];
  private readonly presenceListeners: ((userId: UserId, online: boolean) => void)[] = [];
  /** Users whose last sink has gone, not yet announced offline (so still counted online): the timer that will. */
  private readonly leaving = new Map<UserId, NodeJS.Timeout>();
  private readonly presenceGraceMs: number;

  constructor(options: InProcessSessionHubOptions = {}) {
    this.presenceGraceMs = options.presenceGraceMs ?? DEFAULT_PRESENCE_GRACE_MS;
  }

  async attach(userId: UserId, sink: SessionSink): Promise<void> {
    let set = this.sinks.get(userId);
    if (!set) {
      this.sinks.set(userId, (set = new Set()));
      const leaving = this.leaving.get(userId);
      this.leaving.delete(userId);
      // Back inside the grace period: the offline was never announced, so neither is this.
      if (leaving) clearTimeout(leaving);
      else this.announce(userId, true);
    }
    set.add(sink);
  }

  async detach(userId: UserId, sink: SessionSink): Promise<void> {
    this.remove(userId, sink);
  }

  async onlineAmong(userIds: readonly UserId[]): Promise<Set<UserId>> {
    return new Set(userIds.filter((id) => this.sinks.has(id) || this.leaving.has(id)));
  }

  async deliver(deliveries: readonly OfflineMessage[]): Promise<void> {
    for (const delivery of deliveries) {
      const set = this.sinks.get(delivery.recipientId);
      if (set) for (const sink of set) sink.push(delivery);
    }
  }

  async notify(notifications: readonly Notification[]): Promise<void> {
    for (const { userId, notice } of notifications) {
      for (const sink of this.sinks.get(userId) ?? []) sink.notify(notice);
    }
  }

  async kick(userId: UserId, reason: KickReason, message: string, keep?: SessionSink): Promise<void> {
    for (const listener of this.endListeners) listener(userId);
    const final = endsPresenceAtOnce(reason);
    for (const sink of [...(this.sinks.get(userId) ?? [])]) {
      if (sink === keep) continue;
      this.remove(userId, sink, final);
      sink.kick(reason, message);
    }
    // Gone already but still inside the grace period: the end is final, so it is announced now.
    if (final && !this.sinks.has(userId)) this.goneNow(userId);
  }

  onPresence(listener: (userId: UserId, online: boolean) => void): void {
    this.presenceListeners.push(listener);
  }

  onSessionEnded(listener: (userId: UserId) => void): void {
    this.endListeners.push(listener);
  }

  /** Announces nothing more: offlines still in their grace period are dropped. */
  close(): void {
    for (const timer of this.leaving.values()) clearTimeout(timer);
    this.leaving.clear();
  }

  /** Takes the sink out; if it was the user's last, they leave: for the grace period, or at once when `final`. */
  private remove(userId: UserId, sink: SessionSink, final = false): void {
    const set = this.sinks.get(userId);
    if (!set) return;
    set.delete(sink);
    if (set.size > 0) return;
    this.sinks.delete(userId);
    if (final) return this.announce(userId, false);
    const timer = setTimeout(() => {
      this.leaving.delete(userId);
      this.announce(userId, false);
    }, this.presenceGraceMs);
    // A pending announcement does not keep the process alive.
    timer.unref();
    this.leaving.set(userId, timer);
  }

  /** Ends a grace period under way, announcing the offline it held back. */
  private goneNow(userId: UserId): void {
    const timer = this.leaving.get(userId);
    if (!timer) return;
    clearTimeout(timer);
    this.leaving.delete(userId);
    this.announce(userId, false);
  }

  private announce(userId: UserId, online: boolean): void {
    for (const listener of this.presenceListeners) listener(userId, online);
  }
}
