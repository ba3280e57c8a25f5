import type { Clock } from '../../application/ports/clock.js';
import type { KickReason, Notice, SessionSink } from '../../application/ports/session-hub.js';
import type { OfflineMessage } from '../../domain/index.js';
import { ScryptPasswordHasher } from '../../infrastructure/scrypt-password-hasher.js';

/** A clock that says what the test tells it. */
export class FixedClock implements Clock {
  constructor(public current = new Date('2026-11-25T12:00:00Z')) {}

  now(): Date {
    return new Date(this.current);
  }
}

/** A session sink that remembers what it was given. */
export class RecordingSink implements SessionSink {
  readonly pushed: OfflineMessage[] = [];
  readonly kicks: { reason: KickReason; message: string }[] = [];
  readonly notices: Notice[] = [];

  push(delivery: OfflineMessage): void {
    this.pushed.push(delivery);
  }

  kick(reason: KickReason, message: string): void {
    this.kicks.push({ reason, message });
  }

  notify(notice: Notice): void {
    this.notices.push(notice);
  }

  /** Set by a test to stand for a connection that has gone. */
  gone = false;

  /** How many times a replay waited for room. */
  waits = 0;

  async ready(): Promise<void> {
    this.waits++;
  }
}

/** Real scrypt at a cost low enough for unit tests. */
export const cheapHasher = () => new ScryptPasswordHasher({ N: 2 ** 10, r: 8, p: 1 });
