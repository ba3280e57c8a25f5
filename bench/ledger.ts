import type { Delivery } from './peer.js';

/** Every benchmark message text is exactly this long. */
export const TEXT_LENGTH = 64;

/**
 * The text of one benchmark message: which workload, which sender, which of its messages,
 * and when it was sent (performance.now() of this process), padded to 64 characters.
 */
export function benchText(tag: string, sender: number, seq: number, sentAt: number): string {
  return `${tag}|${sender}|${seq}|${sentAt.toFixed(3)}|`.padEnd(TEXT_LENGTH, '.');
}

/**
 * Tallies what receivers got: distinct (sender, seq) per receiver, repeats of them, and the
 * send→push latency of every first arrival. Deliveries that are not this workload's
 * (notices, leftovers of an earlier one) are counted as strays and otherwise ignored.
 */
export class Ledger {
  distinct = 0;
  duplicates = 0;
  strays = 0;
  lastArrival = 0;
  private latencies = new Float64Array(1024);
  /** Per receiver, per sender: one byte per sequence number, set once it arrived. */
  private readonly seen: Map<number, Uint8Array>[];

  constructor(
    private readonly tag: string,
    receivers: number,
    private readonly perSender: number,
  ) {
    this.seen = Array.from({ length: receivers }, () => new Map());
  }

  /** Tallies one delivery; true when it is the first arrival of one of this workload's messages at this receiver. */
  record(receiver: number, delivery: Delivery): boolean {
    const now = performance.now();
    const [tag, sender, seq, sentAt] = delivery.text.split('|', 4);
    const senderIndex = Number(sender);
    const seqIndex = Number(seq);
    if (tag !== this.tag || !Number.isInteger(senderIndex) || !Number.isInteger(seqIndex) || seqIndex >= this.perSender) {
      this.strays++;
      return false;
    }
    const bySender = this.seen[receiver]!;
    let marks = bySender.get(senderIndex);
    if (!marks) bySender.set(senderIndex, (marks = new Uint8Array(this.perSender)));
    if (marks[seqIndex]) {
      this.duplicates++;
      return false;
    }
    marks[seqIndex] = 1;
    this.keepLatency(now - Number(sentAt));
    this.lastArrival = now;
    return true;
  }

  /** First-arrival latencies in milliseconds, sorted. */
  sortedLatencies(): Float64Array {
    return this.latencies.slice(0, this.distinct).sort();
  }

  private keepLatency(ms: number): void {
    if (this.distinct === this.latencies.length) {
      const grown = new Float64Array(this.latencies.length * 2);
      grown.set(this.latencies);
      this.latencies = grown;
    }
    this.latencies[this.distinct++] = ms;
  }
}

/** The p-th percentile of sorted values; NaN when there are none. */
export function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}
