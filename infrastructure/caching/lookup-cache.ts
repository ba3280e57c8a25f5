interface Entry<V> {
  readonly value: V;
  /** The clock when the entry last went to the back of the map. */
  moved: number;
}

/**
 * A bounded map from key to a looked-up value, least recently used out first. A fill that
 * raced with an invalidation is not kept: every invalidation bumps an epoch, and a value
 * read before the bump is handed to its caller but not cached, so a reader that saw the
 * database just before a write committed cannot leave the old value behind.
 *
 * Recency is kept as a Map's insertion order, moving an entry to the back on a hit. Moving
 * costs a delete and an insert (and, every so often, the Map's rehash), so a hit moves the
 * entry only once a quarter of the capacity has gone to the back after it. An entry hit
 * that often still never reaches the front, so it is never the one dropped; most hits on a
 * hot entry change nothing.
 */
export class LookupCache<V> {
  private readonly entries = new Map<string, Entry<V>>();
  private epoch = 0;
  /** Counts the entries gone to the back of the map, filled or moved. */
  private clock = 0;
  private readonly moveAfter: number;

  constructor(readonly capacity: number) {
    this.moveAfter = Math.max(1, Math.floor(capacity / 4));
  }

  get size(): number {
    return this.entries.size;
  }

  /** The cached entry for `key`, if any (absence of a value can be cached too, as `{ value: undefined }`). */
  peek(key: string): { readonly value: V } | undefined {
    const hit = this.entries.get(key);
    if (hit && this.clock - hit.moved >= this.moveAfter) {
      this.entries.delete(key);
      this.entries.set(key, hit);
      hit.moved = ++this.clock;
    }
    return hit;
  }

  /** A mark to take before reading the database, for `fill`. */
  mark(): number {
    return this.epoch;
  }

  /** Caches what was read after `mark`, unless something was invalidated since. */
  fill(key: string, value: V, mark: number): void {
    if (mark !== this.epoch) return;
    this.entries.delete(key);
    this.entries.set(key, { value, moved: ++this.clock });
    if (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value!);
  }

  /** The cached value for `key`, or what `load` reads, cached. */
  async get(key: string, load: () => Promise<V>): Promise<V> {
    const hit = this.peek(key);
    if (hit) return hit.value;
    const mark = this.mark();
    const value = await load();
    this.fill(key, value, mark);
    return value;
  }

  /** Drops these keys, and keeps any read under way from filling the cache with what it saw. */
  invalidate(keys: Iterable<string>): void {
    this.epoch++;
    for (const key of keys) this.entries.delete(key);
  }

  /** Drops the keys that `matches` picks out. */
  invalidateWhere(matches: (key: string) => boolean): void {
    this.invalidate([...this.entries.keys()].filter(matches));
  }
}
