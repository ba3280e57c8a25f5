import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, type TlsOptions } from 'node:tls';
import type { ChatServices } from '../../application/chat-app.js';
import { SILENT_LOGGER, type Logger } from '../../application/ports/logger.js';
import { ChatSession, type SessionLimits } from '../session/chat-session.js';
import { listenAndLog, shutDownSessions, statsOf, type GatewayStats } from '../session/gateway-lifecycle.js';
import { DEFAULT_ADMISSION_LIMITS, type AdmissionLimits, type Refusal } from '../session/connection-admission.js';
import { connectionGuards, type ConnectionGuards } from '../session/connection-guards.js';
import { DEFAULT_REQUEST_LIMITS, type RequestLimits } from '../session/request-throttle.js';
import { NO_OBSERVER, type SessionObserver } from '../session/session-observer.js';
import { DEFAULT_MAX_PAYLOAD_BYTES, encodeFrame, failResponse, MIN_MAX_PAYLOAD_BYTES } from '../wire/index.js';
import { peerAddress, TcpTransport, type TcpTransportLimits } from './tcp-transport.js';

/** Every bound on a connection: its transport's, its session's, its requests' and its address's. */
export type ConnectionLimits = TcpTransportLimits & SessionLimits & RequestLimits & AdmissionLimits;

/** How long a turned-away peer has to read why before its connection is cut. */
const REFUSAL_GRACE_MS = 1000;

export interface TcpGatewayOptions {
  readonly host: string;
  /** 0 picks a free port; `listen()` says which. */
  readonly port: number;
  /** Where connection and lifecycle lines go; silent when left out. */
  readonly logger?: Logger;
  readonly limits?: Partial<ConnectionLimits>;
  /** How long `close()` waits for requests already read before it cuts connections. */
  readonly shutdownGraceMs?: number;
  /** Serve TLS on the port, with these node:tls options (at least `cert` and `key`). */
  readonly tls?: TlsOptions;
  /** Hears of requests, deliveries and throttles, for metrics; nothing by default. */
  readonly observer?: SessionObserver;
  /** Another gateway's guards, to count connections and requests together with it; new ones from `limits` by default. */
  readonly guards?: ConnectionGuards;
}

/**
 * The defaults. The deadlines are in the range other chat servers use (docs/protocol.md,
 * Limits): ngircd pings a client quiet for 120 s (PingTimeout) and drops it 20 s later
 * (PongTimeout); InspIRCd pings every 120 s (pingfreq) and bounds the time to register.
 */
export const DEFAULT_CONNECTION_LIMITS: ConnectionLimits = {
  maxPayloadBytes: DEFAULT_MAX_PAYLOAD_BYTES,
  maxQueuedRequests: 64,
  maxBufferedBytes: 8 * 1024 * 1024,
  idleTimeoutMs: 120_000,
  frameTimeoutMs: 30_000,
  loginTimeoutMs: 60_000,
  pingIntervalMs: 120_000,
  pingTimeoutMs: 60_000,
  closeGraceMs: 2_000,
  ...DEFAULT_REQUEST_LIMITS,
  ...DEFAULT_ADMISSION_LIMITS,
};

/** The limits that count something: each must be a positive number, and those that count whole things a whole one. */
const POSITIVE_LIMITS = { maxConnectionsPerAddress: true, maxConnectsPerMinute: true, requestBurst: true, requestsPerSecond: false } as const;

/** The durations among the limits; each must fit a timer. */
const DEADLINES = ['idleTimeoutMs', 'frameTimeoutMs', 'loginTimeoutMs', 'pingIntervalMs', 'pingTimeoutMs', 'closeGraceMs'] as const;
/** The longest delay `setTimeout` honours (about 24.8 days); a longer one fires at once. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** The defaults with `limits` over them, each checked: a bad one is a RangeError naming it. */
export function connectionLimits(given: Partial<ConnectionLimits> = {}): ConnectionLimits {
  const limits = { ...DEFAULT_CONNECTION_LIMITS, ...given };
  const { maxPayloadBytes } = limits;
  if (!Number.isSafeInteger(maxPayloadBytes) || maxPayloadBytes < MIN_MAX_PAYLOAD_BYTES) {
    // Below it, a message already answered `ok` could be too large to push.
    throw new RangeError(`the frame limit must be a whole number of bytes, at least ${MIN_MAX_PAYLOAD_BYTES} (got ${maxPayloadBytes})`);
  }
  for (const name of DEADLINES) {
    const ms = limits[name];
    if (!(ms > 0 && ms <= MAX_TIMER_MS)) throw new RangeError(`${name} must be a positive duration of at most ${MAX_TIMER_MS} ms (got ${ms})`);
  }
  for (const [name, whole] of Object.entries(POSITIVE_LIMITS)) {
    const value = limits[name as keyof typeof POSITIVE_LIMITS];
    if (!(value > 0 && Number.isFinite(value)) || (whole && !Number.isSafeInteger(value))) {
      throw new RangeError(`${name} must be a positive ${whole ? 'whole ' : ''}number (got ${value})`);
    }
  }
  return limits;
}

/** The TCP face of the server: accepts connections and gives each a transport and a session. */
export class TcpGateway {
  private readonly server: Server;
  private readonly connections = new Map<Socket, ChatSession>();
  private readonly limits: ConnectionLimits;
  /** The connection and request budgets, to share with another gateway of the same server. */
  readonly guards: ConnectionGuards;
  private readonly options: TcpGatewayOptions & { readonly logger: Logger };

  constructor(
    private readonly services: ChatServices,
    options: TcpGatewayOptions,
  ) {
    this.options = { ...options, logger: options.logger ?? SILENT_LOGGER };
    this.limits = connectionLimits(options.limits);
    this.guards = options.guards ?? connectionGuards(this.limits);
    if (options.tls) {
      // A TLSSocket is a Socket: the transport reads and writes cleartext, the same either way.
      // A handshake is bounded like a frame, so a peer cannot hold a connection by stalling it.
      const server = createTlsServer({ handshakeTimeout: this.limits.frameTimeoutMs, ...options.tls });
      // Admitted before the handshake, the dearest thing a peer can make the server do; refused
      // then, a peer gets no frame (it could not read one), only the end of the connection.
      server.on('connection', (socket: Socket) => {
        const release = this.admit(socket, false);
        if (release) socket.on('close', release);
      });
      server.on('secureConnection', (socket) => this.accept(socket, undefined));
      server.on('tlsClientError', (error, socket) => this.options.logger.debug({ err: error, peer: socket.remoteAddress }, 'TLS handshake failed'));
      this.server = server;
    } else {
      this.server = createServer((socket) => {
        const release = this.admit(socket, true);
        if (release) this.accept(socket, release);
      });
    }
  }

  /** Starts listening; resolves with the address actually bound. */
  listen(): Promise<AddressInfo> {
    return listenAndLog(this.server, { host: this.options.host, port: this.options.port, tls: Boolean(this.options.tls) }, this.options.logger, 'listening');
  }

  /** Counts what the gateway holds, for a metrics scrape. */
  stats(): GatewayStats {
    return statsOf(this.connections.values());
  }

  /**
   * Stops accepting, tells attached clients the server is going away, lets requests already
   * read finish (up to the grace period), then closes every connection.
   */
  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    await shutDownSessions(this.connections.values(), this.options.shutdownGraceMs ?? 5000);
    for (const socket of this.connections.keys()) socket.destroy();
    await closed;
    this.options.logger.info({}, 'stopped');
  }

  /** Counts a new connection against its address's limits, returning what to call when it closes; or turns it away. */
  private admit(socket: Socket, canFrame: boolean): (() => void) | undefined {
    const admitted = this.guards.admission.admit(peerAddress(socket));
    if ('refusal' in admitted) {
      (this.options.observer ?? NO_OBSERVER).throttled(admitted.refusal.limit);
      this.turnAway(socket, admitted.refusal, canFrame);
      return undefined;
    }
    return admitted.release;
  }

  /** Serves an admitted connection; `release`, if given, is called when it closes. */
  private accept(socket: Socket, release: (() => void) | undefined): void {
    const transport = new TcpTransport(socket, this.limits, this.options.logger);
    const session = new ChatSession(transport, this.services, this.limits, this.options.logger, this.guards.requests.connection(), this.options.observer);
    this.connections.set(socket, session);
    // One plain listener for the gateway's part of a close, not a `once` wrapper each: every idle connection holds them.
    socket.on('close', () => {
      release?.();
      this.connections.delete(socket);
    });
    transport.start(session);
  }

  /**
   * Ends a refused connection, reading nothing: with one frame saying why when the peer can
   * read one, and cut off if it ignores the end.
   */
  private turnAway(socket: Socket, refusal: Refusal, canFrame: boolean): void {
    if (refusal.first) this.options.logger.warn({ event: 'throttled', limit: refusal.limit, peer: peerAddress(socket) }, 'connection refused');
    socket.on('error', () => {});
    if (!canFrame) return void socket.destroy();
    socket.end(encodeFrame(failResponse(null, refusal.code, refusal.message, refusal.data)));
    setTimeout(() => socket.destroy(), REFUSAL_GRACE_MS).unref();
  }
}
