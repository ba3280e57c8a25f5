import { TokenBuckets } from '../../application/token-bucket.js';

export interface AdmissionLimits {
  /** Connections one address may hold open at once. */
  readonly maxConnectionsPerAddress: number;
  /** New connections one address may open a minute (all at once, then evenly over the minute). */
  readonly maxConnectsPerMinute: number;
}

/**
 * ngircd's MaxConnectionsIP is 5 and InspIRCd's `<connect localmax>` 3, for IRC clients that
 * hold one connection each; a parley user holds a `listen` beside one-shot commands, and the
 * users of one office share its address, so 50. InspIRCd's connectban bans an address after
 * 10 connections in a short window; `chatctl` connects once per command, so 120 a minute.
 */
export const DEFAULT_ADMISSION_LIMITS: AdmissionLimits = { maxConnectionsPerAddress: 50, maxConnectsPerMinute: 120 };

/** Why a connection was turned away: the one frame it gets, and the limit for the log. */
export interface Refusal {
  readonly code: 'TOO_MANY_CONNECTIONS' | 'RATE_LIMITED';
  readonly message: string;
  readonly data: Readonly<Record<string, number>>;
  readonly limit: 'connections-per-address' | 'connects-per-minute';
  /** The address's first refusal since it was last let in: the one worth a log line. */
  readonly first: boolean;
}

/** Decides, per address, whether a new connection may be served; any transport asks it before building a session. */
export class ConnectionAdmission {
  private readonly held = new Map<string, number>();
  private readonly connects: TokenBuckets;
  private readonly refused = new Set<string>();

  constructor(private readonly limits: AdmissionLimits) {
    this.connects = new TokenBuckets(limits.maxConnectsPerMinute, limits.maxConnectsPerMinute / 60);
  }

  /** Lets the connection in, returning what to call when it closes; or says why not. */
  admit(address: string): { readonly release: () => void } | { readonly refusal: Refusal } {
    const held = this.held.get(address) ?? 0;
    if (held >= this.limits.maxConnectionsPerAddress) {
      return this.refuse(address, {
        code: 'TOO_MANY_CONNECTIONS',
        message: `your address already holds ${held} connections, the most allowed; close one first`,
        data: { limit: this.limits.maxConnectionsPerAddress },
        limit: 'connections-per-address',
      });
    }
    const retryAfterMs = this.connects.take(address, performance.now());
    if (retryAfterMs > 0) {
      return this.refuse(address, {
        code: 'RATE_LIMITED',
        message: `your address opened more than ${this.limits.maxConnectsPerMinute} connections a minute; try again in ${Math.ceil(retryAfterMs / 1000)} s`,
        data: { retryAfterMs },
        limit: 'connects-per-minute',
      });
    }
    this.refused.delete(address);
    this.held.set(address, held + 1);
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        const left = (this.held.get(address) ?? 1) - 1;
        if (left > 0) this.held.set(address, left);
        else this.held.delete(address);
      },
    };
  }

  private refuse(address: string, refusal: Omit<Refusal, 'first'>): { refusal: Refusal } {
    const first = !this.refused.has(address);
    // Bounded like the buckets: forgetting an address costs one more log line, no more.
    if (first && this.refused.size >= 100_000) this.refused.clear();
    this.refused.add(address);
    return { refusal: { ...refusal, first } };
  }
}
