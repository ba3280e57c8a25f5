/** How a request ended, as its response's status says. */
export type RequestStatus = 'ok' | 'fail' | 'error';

/**
 * What sessions and transports report as they work, for metrics: counts and durations only,
 * never names or text. Every method is cheap and synchronous. The Prometheus adapter
 * (interfaces/metrics) implements it; the default observes nothing.
 */
export interface SessionObserver {
  /** A request answered: its operation (`unknown` for one the server does not know), status and time taken. */
  requestAnswered(op: string, status: RequestStatus, seconds: number): void;
  /** A delivery pushed to a connection. */
  delivered(): void;
  /** A request, login or connection held back or refused by a limit (the limit's name, as logged). */
  throttled(limit: string): void;
}

/** Observes nothing: the default, for embedding and tests. */
export const NO_OBSERVER: SessionObserver = {
  requestAnswered: () => {},
  delivered: () => {},
  throttled: () => {},
};
