import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { RequestStatus, SessionObserver } from '../session/session-observer.js';

/** What the metrics read at scrape time, rather than count as it happens. */
export interface MetricSources {
  /** Connections open, and distinct users attached. */
  stats(): { readonly connections: number; readonly attachedUsers: number };
  /** Deliveries waiting in storage for their recipients; may be slow or fail (storage away). */
  queueDepth(): Promise<number>;
}

/** The requests of one op and status: how many since the last scrape, and the op's latency series. */
interface RequestSeries {
  readonly op: string;
  readonly status: RequestStatus;
  unreported: number;
  readonly latency: { observe(seconds: number): void };
}

/**
 * The server's Prometheus metrics: a session observer that counts, gauges read from the
 * gateway and storage at each scrape, and the Node process's default metrics, in a registry
 * of its own (a host may run several servers).
 */
export class PrometheusMetrics implements SessionObserver {
  readonly registry = new Registry();
  private readonly requests: Counter<'op' | 'status'>;
  private readonly latency: Histogram<'op'>;
  private readonly deliveries: Counter;
  /** Deliveries counted since the last scrape: a push adds to a number, and the scrape to the counter. */
  private unreportedDeliveries = 0;
  private readonly throttles: Counter<'limit'>;
  /**
   * Per op and status, the requests answered since the last scrape and the op's latency
   * series. prom-client finds a series by hashing its labels on every call (the children
   * `labels()` returns too), so a request adds one to a number here and the scrape adds the
   * numbers to the counter, as with deliveries; the latency is observed as it comes. Bounded
   * by the operations the session knows (others count as `unknown`) times three statuses.
   */
  private readonly series = new Map<string, RequestSeries>();

  constructor(sources: MetricSources) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    new Gauge({
      name: 'parley_connections_open',
      help: 'Connections open, logged in or not',
      registers,
      collect() {
        this.set(sources.stats().connections);
      },
    });
    new Gauge({
      name: 'parley_attached_users',
      help: 'Users with at least one connection receiving their pushes',
      registers,
      collect() {
        this.set(sources.stats().attachedUsers);
      },
    });
    new Gauge({
      name: 'parley_queue_depth',
      help: 'Deliveries waiting in storage for their recipients to acknowledge them',
      registers,
      async collect() {
        // NaN while storage does not answer: the rest of the scrape still comes through, and /health says why.
        this.set(await sources.queueDepth().catch(() => NaN));
      },
    });
    this.requests = new Counter({
      name: 'parley_requests_total',
      help: 'Requests answered, by operation and status (ok, fail, error)',
      labelNames: ['op', 'status'],
      registers,
      collect: () => {
        for (const series of this.series.values()) {
          if (series.unreported === 0) continue;
          this.requests.inc({ op: series.op, status: series.status }, series.unreported);
          series.unreported = 0;
        }
      },
    });
    this.latency = new Histogram({
      name: 'parley_request_duration_seconds',
      help: 'Time from taking a request to answering it (a send: until it is durable), by operation',
      labelNames: ['op'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    });
    this.deliveries = new Counter({
      name: 'parley_deliveries_total',
      help: 'Deliveries pushed to connections (a replayed backlog too)',
      registers,
      collect: () => {
        this.deliveries.inc(this.unreportedDeliveries);
        this.unreportedDeliveries = 0;
      },
    });
    this.throttles = new Counter({
      name: 'parley_throttled_total',
      help: 'Times a limit held back or refused a peer, by limit: each refused connection, login or registration, and each burst of paced requests',
      labelNames: ['limit'],
      registers,
    });
  }

  requestAnswered(op: string, status: RequestStatus, seconds: number): void {
    const key = `${op} ${status}`;
    let series = this.series.get(key);
    if (!series) this.series.set(key, (series = { op, status, unreported: 0, latency: this.latency.labels({ op }) }));
    series.unreported++;
    series.latency.observe(seconds);
  }

  delivered(): void {
    this.unreportedDeliveries++;
  }

  throttled(limit: string): void {
    this.throttles.inc({ limit });
  }
}
