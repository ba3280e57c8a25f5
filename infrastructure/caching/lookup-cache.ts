/**
 * A bounded map from key to a looked-up value, least recently used out first. A fill that
 * raced with an invalidation is not kept: every invalidation bumps an epoch, and a value
 * read before the bump is handed to its caller but not cached, so a reader that saw the
 * database just before a write committed cannot leave the old value behind.
 */
export class LookupCache<V> {
  private readonly entries = new Map<string, { readonly value: V }>();
  private epoch = 0;

  constructor(readonly capacity: number) {}

  get size(): number {
    return this.entries.size;
  }

  /** The cached entry for `key`, if any (absence of a value can be cached too, as `{ value: undefined }`). */
  peek(key: string): { readonly value: V } | undefined {
    const hit = this.entries.get(key);
    if (hit) {
      this.entries.delete(key);
      this.entries.set(key, hit);
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
    this.entries.set(key, { value });
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
