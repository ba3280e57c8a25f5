import { EventEmitter, on } from 'node:events';
import { connect, type Socket } from 'node:net';
import { connect as connectTls, type ConnectionOptions } from 'node:tls';
import type { MessagePayload } from '../wire/message-payload.js';
import {
  DEFAULT_MAX_PAYLOAD_BYTES,
  encodeFrame,
  FrameDecoder,
  MAX_ACK_IDS,
  parseServerMessage,
  WireError,
  type Event,
  type Response,
} from '../wire/index.js';
import { DEFAULT_CONNECT_TIMEOUT_MS, DEFAULT_PORT, DEFAULT_REQUEST_TIMEOUT_MS } from './client-defaults.js';

export { DEFAULT_CONNECT_TIMEOUT_MS, DEFAULT_PORT, DEFAULT_REQUEST_TIMEOUT_MS };

/** How long `close` waits for the server to close its side before it cuts the connection. */
const CLOSE_GRACE_MS = 1000;
const SEEN_IDS_KEPT = 10_000;

/** The server refused or failed a request: `status` is `fail` for a rule's refusal, `error` for a bad or failed request. */
export class ChatRequestError extends Error {
  override readonly name = 'ChatRequestError';

  constructor(
    readonly status: 'fail' | 'error',
    readonly code: string,
    message: string,
    readonly data?: Record<string, unknown>,
  ) {
    super(message);
  }
}

/** The connection could not be made, was lost, or the server spoke something that is not the protocol. */
export class ChatConnectionError extends Error {
  override readonly name = 'ChatConnectionError';

  constructor(
    readonly code: 'UNREACHABLE' | 'TLS' | 'CLOSED' | 'TIMEOUT' | 'PROTOCOL',
    message: string,
  ) {
    super(message);
  }
}

/**
 * What the server did with acknowledged ids: `acknowledged` were removed now, `unknown` were not
 * waiting for this user (removed by an earlier ack, such as one retried, or never theirs).
 */
export interface Acknowledgement {
  readonly acknowledged: number[];
  readonly unknown: number[];
}

/** What the server pushes: messages and notices to acknowledge, or the end of the session. */
export type ServerEvent =
  | { readonly type: 'message'; readonly id: number; readonly message: MessagePayload }
  | { readonly type: 'kicked'; readonly reason: string; readonly message: string };

export interface ChatClientOptions {
  readonly host?: string;
  readonly port?: number;
  /** Sent with every request; `login` sets it. */
  readonly token?: string;
  /** Speak TLS; an object holds node:tls options such as `ca` (a private CA) or `servername`. */
  readonly tls?: boolean | ConnectionOptions;
  /** How long connecting (TLS handshake included) may take; DEFAULT_CONNECT_TIMEOUT_MS. */
  readonly connectTimeoutMs?: number;
  /**
   * How long a request may wait for its response, and the server may stay silent before it
   * is pinged; past it the connection is cut and every request waiting on it rejects with
   * TIMEOUT. DEFAULT_REQUEST_TIMEOUT_MS.
   */
  readonly requestTimeoutMs?: number;
  readonly maxPayloadBytes?: number;
}

interface Pending {
  resolve(data: Record<string, unknown>): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

/**
 * A typed client for the parley protocol: requests with correlation ids (several may be in
 * flight), pushed events as an async iterator or `on('event')`, duplicates dropped by id.
 * It answers the server's pings itself, and pings a server that has been silent for the
 * request timeout, so a frozen or vanished server ends the connection instead of hanging it.
 */
export class ChatClient extends EventEmitter<{ event: [ServerEvent]; close: [] }> {
  token: string | undefined;
  private readonly pending = new Map<number, Pending>();
  /** Delivery ids already passed on, oldest first; bounded, since ids only grow. */
  private readonly seen = new Set<number>();
  private readonly decoder: FrameDecoder;
  private nextId = 1;
  private closedBy: ChatConnectionError | undefined;
  private heard = false;
  private readonly requestTimeoutMs: number;
  /** Pings the server once it has been silent for the request timeout; restarted by every read. */
  private readonly silence: NodeJS.Timeout;

  private constructor(
    private readonly socket: Socket,
    options: ChatClientOptions,
  ) {
    super();
    this.token = options.token;
    this.decoder = new FrameDecoder(options.maxPayloadBytes ?? DEFAULT_MAX_PAYLOAD_BYTES);
    this.requestTimeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    this.silence = setInterval(() => this.ping(), this.requestTimeoutMs).unref();
    socket.on('data', (chunk) => this.receive(chunk));
    socket.on('error', (error) => this.fail(new ChatConnectionError('CLOSED', `connection lost: ${error.message}`)));
    socket.on('close', () => {
      clearInterval(this.silence);
      // A TLS server drops a plain client without a word; say what may be wrong.
      const hint = this.heard || options.tls ? '' : ' before answering (if it serves TLS, connect with TLS)';
      this.fail(new ChatConnectionError('CLOSED', `the server closed the connection${hint}`));
      this.emit('close');
    });
  }

  /**
   * Connects, over TLS if `options.tls` says so; rejects with ChatConnectionError UNREACHABLE
   * if nothing listens, TLS if the handshake fails (a certificate that does not verify), or
   * TIMEOUT if the connection is not made within the connect timeout.
   */
  static connect(options: ChatClientOptions = {}): Promise<ChatClient> {
    const host = options.host ?? '127.0.0.1';
    const port = options.port ?? DEFAULT_PORT;
    const timeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
    return new Promise((resolve, reject) => {
      const socket = options.tls
        ? connectTls({ ...(options.tls === true ? {} : options.tls), host, port })
        : connect({ host, port });
      const ready = options.tls ? 'secureConnect' : 'connect';
      let reached = false;
      socket.once('connect', () => (reached = true));
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new ChatConnectionError('TIMEOUT', `no answer from ${host}:${port} in ${timeoutMs / 1000} s`));
      }, timeoutMs);
      const failed = (error: Error) => {
        clearTimeout(timer);
        socket.destroy();
        reject(
          reached && options.tls
            ? new ChatConnectionError('TLS', `TLS with ${host}:${port} failed: ${error.message} (a server without TLS, or a certificate not signed by the CA given?)`)
            : new ChatConnectionError('UNREACHABLE', `cannot reach the server at ${host}:${port} (${error.message})`),
        );
      };
      socket.on('error', failed);
      socket.once(ready, () => {
        clearTimeout(timer);
        socket.off('error', failed);
        socket.setNoDelay(true);
        resolve(new ChatClient(socket, options));
      });
    });
  }

  /** Why the connection ended, once it has. */
  get closeReason(): ChatConnectionError | undefined {
    return this.closedBy;
  }

  /** Sends one request with the current token; resolves with the response's data. */
  request<T extends object = Record<string, unknown>>(op: string, args: Record<string, unknown> = {}): Promise<T> {
    return this.call<T>(op, args, this.token);
  }

  private call<T extends object>(op: string, args: Record<string, unknown>, token: string | undefined): Promise<T> {
    if (this.closedBy) return Promise.reject(this.closedBy);
    const id = this.nextId++;
    const frame = encodeFrame({ type: 'request', id, op, ...(token ? { token } : {}), args });
    return new Promise<T>((resolve, reject) => {
      // A server that does not answer in time is taken for frozen or gone: waiting on its socket
      // (even for a FIN) could last for ever, so the connection is cut.
      const timer = setTimeout(() => {
        this.fail(new ChatConnectionError('TIMEOUT', `the server did not answer "${op}" within ${this.requestTimeoutMs / 1000} s; gave up`));
        this.socket.destroy();
      }, this.requestTimeoutMs);
      this.pending.set(id, { resolve: resolve as (data: Record<string, unknown>) => void, reject, timer });
      this.socket.write(frame);
    });
  }

  /** Pings the server, as its `ping` event asks or after a silence; any answer, even a refusal, is a sign of life. */
  private ping(): void {
    this.call('ping', {}, undefined).catch(() => undefined);
  }

  /**
   * Tells the server these deliveries arrived, so it stops keeping them; safe to repeat, since
   * an id already removed comes back as unknown. Splits the ids into requests the protocol allows.
   */
  async acknowledge(ids: readonly number[]): Promise<Acknowledgement> {
    const batches: number[][] = [];
    for (let start = 0; start < ids.length; start += MAX_ACK_IDS) batches.push(ids.slice(start, start + MAX_ACK_IDS));
    const answers = await Promise.all(batches.map((batch) => this.acknowledgeBatch(batch)));
    return { acknowledged: answers.flatMap((a) => a.acknowledged), unknown: answers.flatMap((a) => a.unknown) };
  }

  private async acknowledgeBatch(ids: number[]): Promise<Acknowledgement> {
    let answer: { acknowledged?: number[]; unknown?: number[] };
    try {
      answer = await this.request('ack', { ids });
    } catch (error) {
      // A server from before idempotent acks refuses the whole batch, removing nothing, if one id is unknown.
      const refused = error instanceof ChatRequestError && error.code === 'UNKNOWN_MESSAGE' ? error.data?.ids : undefined;
      if (!Array.isArray(refused)) throw error;
      const unknown = new Set(refused);
      const rest = ids.filter((id) => !unknown.has(id));
      if (rest.length === ids.length) throw error;
      const retried = rest.length > 0 ? await this.acknowledgeBatch(rest) : { acknowledged: [], unknown: [] };
      return { acknowledged: retried.acknowledged, unknown: [...ids.filter((id) => unknown.has(id)), ...retried.unknown] };
    }
    const acknowledged = answer.acknowledged ?? [];
    // An older server answers only `acknowledged`: whatever it did not name was not waiting.
    const removed = new Set(acknowledged);
    return { acknowledged, unknown: answer.unknown ?? ids.filter((id) => !removed.has(id)) };
  }

  /** Pushed events until the connection closes, buffered from this call on: call it before `attach` or `login`. */
  events(): AsyncIterable<ServerEvent> {
    const source = on(this, 'event', { close: ['close'] });
    return {
      async *[Symbol.asyncIterator]() {
        for await (const [serverEvent] of source) yield serverEvent as ServerEvent;
      },
    };
  }

  /**
   * Ends the connection; requests still waiting, and any made from now on, reject with CLOSED.
   * A server that does not close its side within a second is cut off.
   */
  close(): Promise<void> {
    this.fail(new ChatConnectionError('CLOSED', 'the connection was closed by this client'));
    return new Promise((resolve) => {
      if (this.socket.destroyed) return resolve();
      const cut = setTimeout(() => this.socket.destroy(), CLOSE_GRACE_MS);
      this.socket.once('close', () => {
        clearTimeout(cut);
        resolve();
      });
      this.socket.end();
    });
  }

  private receive(chunk: Buffer): void {
    this.heard = true;
    this.silence.refresh();
    for (const frame of this.decoder.push(chunk)) {
      if ('error' in frame) return this.protocolError(frame.error.message);
      let message: Response | Event;
      try {
        message = parseServerMessage(frame.payload);
      } catch (error) {
        if (error instanceof WireError) return this.protocolError(error.message);
        throw error;
      }
      if (message.type === 'response') this.settle(message);
      else this.dispatch(message);
    }
  }

  private settle(response: Response): void {
    const pending = typeof response.id === 'number' ? this.pending.get(response.id) : undefined;
    if (!pending) {
      if (response.status !== 'ok') this.protocolError(`the server said: ${response.message} (${response.code})`);
      return;
    }
    this.pending.delete(response.id as number);
    clearTimeout(pending.timer);
    if (response.status === 'ok') pending.resolve(response.data);
    else pending.reject(new ChatRequestError(response.status, response.code, response.message, response.data));
  }

  /** Events of a type this client does not know are ignored, as the protocol asks. */
  private dispatch(serverEvent: Event): void {
    if (serverEvent.event === 'ping') return this.ping();
    if (serverEvent.event === 'kicked') {
      const { reason, message } = serverEvent.data as { reason: string; message: string };
      this.emit('event', { type: 'kicked', reason, message });
      return;
    }
    if (serverEvent.event !== 'message' || serverEvent.id === undefined) return;
    if (this.seen.has(serverEvent.id)) return;
    this.seen.add(serverEvent.id);
    if (this.seen.size > SEEN_IDS_KEPT) this.seen.delete(this.seen.values().next().value!);
    this.emit('event', { type: 'message', id: serverEvent.id, message: serverEvent.data as unknown as MessagePayload });
  }

  private protocolError(detail: string): void {
    this.fail(new ChatConnectionError('PROTOCOL', `protocol error: ${detail}`));
    this.socket.destroy();
  }

  private fail(error: ChatConnectionError): void {
    this.closedBy ??= error;
    for (const [id, pending] of this.pending) {
      clearTimeout(pending.timer);
      pending.reject(this.closedBy);
      this.pending.delete(id);
    }
  }
}
