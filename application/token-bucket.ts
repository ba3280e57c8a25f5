/**
 * The arithmetic of one rate limit: up to `burst` units at once, refilled at `perSecond`.
 * Time is passed in (milliseconds on any monotonic clock), so the bucket holds no timer and
 * a test can drive it; the login throttle and the gateway's request and connection limits
 * all count this way.
 */
export class TokenBucket {
  private tokens: number;
  private at: number;

  constructor(
    private readonly burst: number,
    private readonly perSecond: number,
    now: number,
  ) {
    this.tokens = burst;
    this.at = now;
  }

  /** Takes one unit if there is one: 0. Otherwise takes nothing and says how many ms until there is one. */
  take(now: number): number {
    const wait = this.wait(now);
    if (wait === 0) this.tokens -= 1;
    return wait;
  }

  /** How many ms until one unit is there (0: now), taking nothing. */
  wait(now: number): number {
    this.refill(now);
    return this.tokens >= 1 ? 0 : Math.ceil(((1 - this.tokens) * 1000) / this.perSecond);
  }

  /** Whether the bucket is back to its burst: one that is can be forgotten, as a new one would be the same. */
  full(now: number): boolean {
    this.refill(now);
    return this.tokens >= this.burst;
  }

  private refill(now: number): void {
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.at) * this.perSecond) / 1000);
    this.at = now;
  }
}

/**
 * Token buckets by key (an address, an account), at most `maxKeys` of them: past that, full
 * buckets are forgotten first, then the oldest, so a peer inventing keys costs bounded memory
 * and at worst hands a few old keys a fresh burst.
 */
export class TokenBuckets {
  private readonly buckets = new Map<string, TokenBucket>();

  constructor(
    private readonly burst: number,
    private readonly perSecond: number,
    private readonly maxKeys = 100_000,
  ) {}

  /** Takes one unit from the key's bucket: 0, or the ms to wait (taking nothing). */
  take(key: string, now: number): number {
    return this.bucket(key, now).take(now);
  }

  /** The ms until the key's bucket holds one unit, taking nothing. */
  wait(key: string, now: number): number {
    return this.buckets.get(key)?.wait(now) ?? 0;
  }

  /** Forgets the key: its next use starts with a full burst. */
  forget(key: string): void {
    this.buckets.delete(key);
  }

  private bucket(key: string, now: number): TokenBucket {
    let bucket = this.buckets.get(key);
    if (!bucket) {
      if (this.buckets.size >= this.maxKeys) this.prune(now);
      bucket = new TokenBucket(this.burst, this.perSecond, now);
      this.buckets.set(key, bucket);
    }
    return bucket;
  }

  private prune(now: number): void {
    for (const [key, bucket] of this.buckets) if (bucket.full(now)) this.buckets.delete(key);
    // Still full of live buckets: drop the oldest tenth (a Map iterates in insertion order).
    let excess = this.buckets.size - Math.floor(this.maxKeys * 0.9);
    for (const key of this.buckets.keys()) {
      if (excess-- <= 0) break;
      this.buckets.delete(key);
    }
  }
}
