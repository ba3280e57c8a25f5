import type { OperationArgs, OperationName, OperationResult, WireEvents } from '../../interfaces/wire/operations.js';

/** How long a request may wait with the server silent before the connection counts as dead (as the SDK's `requestTimeoutMs`). */
const REQUEST_TIMEOUT_MS = 30_000;

/** A `fail` or `error` answer, or a connection that ended first (`code` `CONNECTION_LOST`, `TIMEOUT`). */
export class WireFailure extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly data: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

/**
 * An event as the server pushed it: a delivery carries `id`. Kept loose on purpose, since a
 * client must ignore what it does not know; `isEvent` narrows it to a known one.
 */
export interface PushedEvent {
  readonly event: string;
  readonly id?: number;
  readonly data: Record<string, unknown>;
}

/** Whether `pushed` is the known event `name`, typed as the wire declares it. */
export function isEvent<Name extends keyof WireEvents>(pushed: PushedEvent, name: Name): pushed is PushedEvent & { data: WireEvents[Name] } {
  return pushed.event === name;
}

/** What a connection tells its owner. */
export interface ConnectionHandlers {
  /** Every pushed event but `ping`, which the connection answers itself. */
  onEvent(event: PushedEvent): void;
  /** The connection ended: `failure` is the server's last word (an `id: null` error, or the close reason) when it gave one. */
  onClose(failure: WireFailure | null): void;
}

interface Pending {
  resolve(data: unknown): void;
  reject(failure: WireFailure): void;
  timer: number;
}

/** The WebSocket address of the server that served this page: the `/ws` path on the same host and port. */
export function defaultServerUrl(place: Pick<Location, 'protocol' | 'host'> = location): string {
  return `${place.protocol === 'https:' ? 'wss' : 'ws'}://${place.host}/ws`;
}

/**
 * One WebSocket to the server, one JSON envelope per text message (docs/protocol.md):
 * requests correlated with their answers by id, pushes handed to `onEvent`, the server's
 * `ping` answered. A request unanswered for 30 s ends the connection, as in the SDK.
 */
export class Connection {
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private lastFailure: WireFailure | null = null;
  private closed = false;
  /** When the server last sent anything: a long backlog before a login's answer is a sign of life. */
  private lastHeard = Date.now();

  private constructor(
    private readonly socket: WebSocket,
    private readonly handlers: ConnectionHandlers,
  ) {
    socket.addEventListener('message', (event) => this.receive(event.data));
    socket.addEventListener('close', (event) => this.end(event.reason));
  }

  /** Opens a connection; rejects with `CONNECTION_LOST` when the server cannot be reached. */
  static open(url: string, handlers: ConnectionHandlers): Promise<Connection> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(url);
      const failed = (): void => reject(new WireFailure('CONNECTION_LOST', 'cannot reach the server'));
      socket.addEventListener('error', failed, { once: true });
      socket.addEventListener(
        'open',
        () => {
          socket.removeEventListener('error', failed);
          resolve(new Connection(socket, handlers));
        },
        { once: true },
      );
    });
  }

  /** The session token sent with every request once logged in. */
  token: string | null = null;

  /** Sends one request; resolves with the `ok` answer's data, rejects with a WireFailure. */
  request<Op extends OperationName>(op: Op, args: OperationArgs<Op>): Promise<OperationResult<Op>> {
    if (this.closed) return Promise.reject(new WireFailure('CONNECTION_LOST', 'the connection to the server is closed'));
    const id = this.nextId++;
    const envelope = { type: 'request', id, op, args, ...(this.token === null ? {} : { token: this.token }) };
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (data: unknown) => void, reject, timer: this.watch(id, REQUEST_TIMEOUT_MS) });
      this.socket.send(JSON.stringify(envelope));
    });
  }

  /** Ends the connection if request `id` is still unanswered once the server has been silent for REQUEST_TIMEOUT_MS. */
  private watch(id: number, ms: number): number {
    return window.setTimeout(() => {
      const pending = this.pending.get(id);
      if (!pending) return;
      const silentFor = Date.now() - this.lastHeard;
      if (silentFor < REQUEST_TIMEOUT_MS) {
        pending.timer = this.watch(id, REQUEST_TIMEOUT_MS - silentFor);
        return;
      }
      this.lastFailure = new WireFailure('TIMEOUT', 'the server did not answer in time');
      this.close();
    }, ms);
  }

  /** Closes the connection; pending requests fail with `CONNECTION_LOST`. */
  close(): void {
    this.socket.close();
    this.end();
  }

  private receive(raw: unknown): void {
    this.lastHeard = Date.now();
    if (typeof raw !== 'string') return;
    let envelope: Record<string, unknown>;
    try {
      envelope = JSON.parse(raw) as Record<string, unknown>;
    } catch {
      return;
    }
    if (envelope.type === 'response') this.answer(envelope);
    else if (envelope.type === 'event' && typeof envelope.event === 'string') {
      if (envelope.event === 'ping') {
        this.request('ping', {}).catch(() => undefined);
        return;
      }
      const data = (typeof envelope.data === 'object' && envelope.data !== null ? envelope.data : {}) as Record<string, unknown>;
      this.handlers.onEvent({ event: envelope.event, data, ...(typeof envelope.id === 'number' ? { id: envelope.id } : {}) });
    }
  }

  private answer(envelope: Record<string, unknown>): void {
    const data = (envelope.data ?? {}) as Record<string, unknown>;
    const failure =
      envelope.status === 'ok' ? null : new WireFailure(String(envelope.code ?? 'INTERNAL'), String(envelope.message ?? 'the server refused'), data);
    const pending = typeof envelope.id === 'number' ? this.pending.get(envelope.id) : undefined;
    if (!pending) {
      if (failure) this.lastFailure = failure; // `id: null`: the server's reason for closing
      return;
    }
    this.pending.delete(envelope.id as number);
    window.clearTimeout(pending.timer);
    if (failure) pending.reject(failure);
    else pending.resolve(data);
  }

  /** Fails what is pending with the server's last word: its `id: null` error, else the close frame's reason, else none given. */
  private end(reason = ''): void {
    if (this.closed) return;
    this.closed = true;
    const failure = this.lastFailure ?? (reason === '' ? null : new WireFailure('CONNECTION_LOST', reason));
    for (const pending of this.pending.values()) {
      window.clearTimeout(pending.timer);
      pending.reject(failure ?? new WireFailure('CONNECTION_LOST', 'the connection to the server was lost'));
    }
    this.pending.clear();
    this.handlers.onClose(failure);
  }
}
