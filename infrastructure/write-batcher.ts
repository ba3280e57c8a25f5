interface Waiting<T, R> {
  readonly items: readonly T[];
  resolve(results: R[]): void;
  reject(error: unknown): void;
}

/**
 * Group commit: while one write is under way, later submissions gather, and the next write
 * takes them all at once. Results come back to each submitter in the order it gave, and
 * writes happen in submission order, so ids stay ascending.
 */
export class WriteBatcher<T, R> {
  private waiting: Waiting<T, R>[] = [];
  private writing = false;

  constructor(private readonly write: (items: T[]) => Promise<R[]>) {}

  submit(items: readonly T[]): Promise<R[]> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ items, resolve, reject });
      if (!this.writing) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.writing = true;
    while (this.waiting.length > 0) {
      const batch = this.waiting.splice(0);
      try {
        const results = await this.write(batch.flatMap((waiting) => waiting.items));
        let offset = 0;
        for (const waiting of batch) waiting.resolve(results.slice(offset, (offset += waiting.items.length)));
      } catch (error) {
        for (const waiting of batch) waiting.reject(error);
      }
    }
    this.writing = false;
  }
}
