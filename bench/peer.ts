import { connect, type Socket } from 'node:net';
import { encodeFrame, FrameDecoder } from '../interfaces/wire/frame.js';
import { MAX_ACK_IDS } from '../interfaces/wire/operations.js';

/** Receivers gather delivery ids this long before acknowledging them, as `chatctl listen` does. */
export const ACK_DELAY_MS = 50;

/** The server answered a request with `fail` or `error`. */
export class RefusedError extends Error {
  override readonly name = 'RefusedError';

  constructor(
    readonly op: string,
    readonly status: string,
    readonly code: string,
    message: string,
  ) {
    super(`${op}: ${status} ${code}: ${message}`);
  }
}

/** One pushed `message` event with an id; `text` is empty for payloads without one. */
export interface Delivery {
  readonly id: number;
  readonly text: string;
}

/** What a peer's acknowledgements came to, for the report. */
export interface AckStats {
  requests: number;
  acknowledged: number;
  unknown: number;
  refused: number;
}

interface Pending {
  readonly op: string;
  resolve(data: Record<string, unknown>): void;
  reject(error: Error): void;
}

interface ServerPayload {
  type?: string;
  id?: unknown;
  status?: string;
  code?: string;
  message?: string;
  data?: Record<string, unknown>;
  event?: string;
}

/**
 * A lean protocol client for the load generator: pipelined requests, writes coalesced per
 * event-loop turn, and acknowledgements the way `chatctl listen` sends them (gather for
 * 50 ms, one flush at a time, at most 1000 ids per request). Kept small so that the load
 * generator costs less than the servers it drives.
 */
export class Peer {
  token: string | undefined;
  onDelivery: (delivery: Delivery) => void = () => {};
  readonly acks: AckStats = { requests: 0, acknowledged: 0, unknown: 0, refused: 0 };
  private readonly pending = new Map<number, Pending>();
  private readonly decoder = new FrameDecoder();
  private nextId = 1;
  private corked = false;
  private closed: Error | undefined;
  private gathered: number[] = [];
  private gathering: NodeJS.Timeout | undefined;
  private flushDue = false;
  private flushing: Promise<void> | undefined;

  private constructor(private readonly socket: Socket) {
    socket.on('data', (chunk) => this.receive(chunk));
    socket.on('error', (error) => this.fail(new Error(`connection lost: ${error.message}`)));
    socket.on('close', () => this.fail(new Error('connection closed')));
  }

  static connect(port: number, timeoutMs = 10_000): Promise<Peer> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port, noDelay: true });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`no connection to 127.0.0.1:${port} within ${timeoutMs} ms`));
      }, timeoutMs);
      socket.once('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        resolve(new Peer(socket));
      });
    });
  }

  /** Sends one request with the peer's token; resolves with `data` on `ok`, rejects with RefusedError otherwise. */
  request<T = Record<string, unknown>>(op: string, args: Record<string, unknown> = {}): Promise<T> {
    if (this.closed) return Promise.reject(this.closed);
    const id = this.nextId++;
    this.write(encodeFrame({ type: 'request', id, op, ...(this.token ? { token: this.token } : {}), args }));
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { op, resolve: resolve as (data: Record<string, unknown>) => void, reject });
    });
  }

  /** Resolves once every gathered delivery has been acknowledged and answered, or after `timeoutMs`. */
  async settleAcks(timeoutMs: number): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    while ((this.gathered.length > 0 || this.flushing) && !this.closed && performance.now() < deadline) await sleep(10);
  }

  close(): Promise<void> {
    clearTimeout(this.gathering);
    this.fail(new Error('closed by the load generator'));
    return new Promise((resolve) => {
      if (this.socket.destroyed) return resolve();
      this.socket.once('close', () => resolve());
      this.socket.end();
      setTimeout(() => this.socket.destroy(), 2000).unref();
    });
  }

  private write(frame: Buffer): void {
    if (!this.corked) {
      this.corked = true;
      this.socket.cork();
      process.nextTick(() => {
        this.corked = false;
        this.socket.uncork();
      });
    }
    this.socket.write(frame);
  }

  private receive(chunk: Buffer): void {
    for (const frame of this.decoder.push(chunk)) {
      if ('error' in frame) {
        this.fail(new Error(`protocol error: ${frame.error.message}`));
        this.socket.destroy();
        return;
      }
      const payload = frame.payload as ServerPayload;
      if (payload.type === 'response') this.settle(payload);
      else if (payload.type === 'event') this.dispatch(payload);
    }
  }

  private settle(response: ServerPayload): void {
    if (response.id === null && response.status !== 'ok') {
      this.fail(new Error(`the server refused a frame: ${response.code}: ${response.message}`));
      return;
    }
    const pending = typeof response.id === 'number' ? this.pending.get(response.id) : undefined;
    if (!pending) return;
    this.pending.delete(response.id as number);
    if (response.status === 'ok') pending.resolve(response.data ?? {});
    else pending.reject(new RefusedError(pending.op, String(response.status), String(response.code), String(response.message)));
  }

  private dispatch(event: ServerPayload): void {
    if (event.event === 'kicked') this.fail(new Error(`kicked: ${String(event.data?.reason)}`));
    if (event.event !== 'message' || typeof event.id !== 'number') return;
    const text = event.data?.text;
    this.onDelivery({ id: event.id, text: typeof text === 'string' ? text : '' });
    this.gathered.push(event.id);
    this.gathering ??= setTimeout(() => {
      this.gathering = undefined;
      this.flushDue = true;
      this.flushAcks();
    }, ACK_DELAY_MS);
  }

  /** Starts one flush when one is due and none is in flight; ids arriving meanwhile wait for the next. */
  private flushAcks(): void {
    if (!this.flushDue || this.flushing || this.gathered.length === 0 || this.closed) return;
    this.flushDue = false;
    const ids = this.gathered;
    this.gathered = [];
    const chunks: number[][] = [];
    for (let i = 0; i < ids.length; i += MAX_ACK_IDS) chunks.push(ids.slice(i, i + MAX_ACK_IDS));
    this.flushing = Promise.all(chunks.map((chunk) => this.acknowledge(chunk))).then(() => {
      this.flushing = undefined;
      this.flushAcks();
    });
  }

  /** One `ack`; answers `{acknowledged, unknown}` today, `{acknowledged}` on older servers, or `fail UNKNOWN_MESSAGE` there. */
  private async acknowledge(ids: number[]): Promise<void> {
    this.acks.requests++;
    try {
      const data = await this.request<{ acknowledged?: unknown[]; unknown?: unknown[] }>('ack', { ids });
      this.acks.acknowledged += data.acknowledged?.length ?? 0;
      this.acks.unknown += data.unknown?.length ?? 0;
    } catch {
      this.acks.refused += ids.length;
    }
  }

  private fail(error: Error): void {
    this.closed ??= error;
    for (const pending of this.pending.values()) pending.reject(this.closed);
    this.pending.clear();
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
