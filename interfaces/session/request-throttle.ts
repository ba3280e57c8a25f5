import { setTimeout as sleep } from 'node:timers/promises';
import { TokenBucket, TokenBuckets } from '../../application/token-bucket.js';

export interface RequestLimits {
  /** Requests per second one connection, and one session over all the connections presenting its token, may average. */
  readonly requestsPerSecond: number;
  /** How many requests may come at once before that average paces them. */
  readonly requestBurst: number;
}

/**
 * Prosody's default c2s limit (10 kB/s) and ejabberd's `fast` shaper (50 kB/s) come to about
 * 100 to 500 small requests a second; parley allows 200, and as many at once, so that a
 * script's window of sends or a pasted batch goes through at full speed. A larger burst is
 * what a flood spends first, in one stretch that other clients' requests wait behind.
 */
export const DEFAULT_REQUEST_LIMITS: RequestLimits = { requestsPerSecond: 200, requestBurst: 200 };

/**
 * Never paced: an `ack` only frees the server of work (held back, its deliveries would be
 * pushed again), and a `ping` answers the server's own liveness check.
 */
const UNPACED: ReadonlySet<string> = new Set(['ack', 'ping']);

/** Which budget held a request back, as the `throttled` log line names it. */
export type RequestLimit = 'requests-per-connection' | 'requests-per-session';

/**
 * The request budgets of one server: one per connection, and one per session token shared by
 * every connection that presents it (one-shot `chatctl` commands included). A request over
 * budget is not refused: it waits for its turn, and since a session takes requests one at a
 * time and stops reading past 64 queued, a flooding peer is slowed by TCP itself at no cost
 * to anyone else. Budgets live in this process: behind a balancer, each process counts alone.
 */
export class RequestThrottle {
  private readonly sessions: TokenBuckets;

  constructor(private readonly limits: RequestLimits) {
    this.sessions = new TokenBuckets(limits.requestBurst, limits.requestsPerSecond);
  }

  /** The budget of one new connection. */
  connection(): ConnectionBudget {
    return new ConnectionBudget(new TokenBucket(this.limits.requestBurst, this.limits.requestsPerSecond, performance.now()), this.sessions);
  }
}

/** One connection's budget, and its share of its sessions'. */
export class ConnectionBudget {
  /** Since the connection last had to wait, its budget has not been full again: one trip, one log line. */
  private tripped = false;

  constructor(
    private readonly own: TokenBucket,
    private readonly sessions: TokenBuckets,
  ) {}

  /**
   * Takes the request's unit from both budgets: at once (undefined), or once they hold one
   * (a promise). `onTrip` hears of the first wait of each trip.
   */
  turn(op: string, token: string | undefined, onTrip: (limit: RequestLimit) => void): Promise<void> | undefined {
    if (UNPACED.has(op)) return undefined;
    const now = performance.now();
    if (this.tripped && this.own.full(now)) this.tripped = false;
    const wait = this.wait(token, now);
    if (wait === 0) return this.take(token, now);
    if (!this.tripped) {
      this.tripped = true;
      onTrip(this.own.wait(now) > 0 ? 'requests-per-connection' : 'requests-per-session');
    }
    return this.later(token, wait);
  }

  private async later(token: string | undefined, wait: number): Promise<void> {
    // Other connections of the session may take the unit meanwhile: wait again until one is left.
    for (; wait > 0; wait = this.wait(token, performance.now())) await sleep(wait);
    this.take(token, performance.now());
  }

  private wait(token: string | undefined, now: number): number {
    return Math.max(this.own.wait(now), token === undefined ? 0 : this.sessions.wait(token, now));
  }

  private take(token: string | undefined, now: number): undefined {
    this.own.take(now);
    if (token !== undefined) this.sessions.take(token, now);
    return undefined;
  }
}
