import { createServer, type IncomingMessage, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { WebSocketServer, type WebSocket } from 'ws';
import type { ChatServices } from '../../application/chat-app.js';
import { SILENT_LOGGER, type Logger } from '../../application/ports/logger.js';
import { ChatSession } from '../session/chat-session.js';
import type { Refusal } from '../session/connection-admission.js';
import { connectionGuards, type ConnectionGuards } from '../session/connection-guards.js';
import { NO_OBSERVER, type SessionObserver } from '../session/session-observer.js';
import { connectionLimits, type ConnectionLimits, type TcpGatewayOptions } from '../tcp/tcp-gateway.js';
import { listenAndLog, shutDownSessions, statsOf, type GatewayStats } from '../session/gateway-lifecycle.js';
import { PACKAGE_ROOT } from '../package-root.js';
import { peerAddress } from '../tcp/tcp-transport.js';
import { failResponse } from '../wire/index.js';
import { reply, StaticFiles } from './static-files.js';
import { CLOSE, ParleyWebSocket, WsTransport } from './ws-transport.js';

/** The path WebSocket connections upgrade on; every other path is a file of the web client. */
export const WS_PATH = '/ws';

/** Where the package keeps its built web client: dist/web, from this module and from the bundled chatctl alike. */
export const DEFAULT_WEB_ROOT = fileURLToPath(new URL('dist/web/', PACKAGE_ROOT));

/**
 * A TcpGateway's options (`tls` makes it HTTPS, and so wss://; `guards` are best the TCP
 * gateway's, so an address's connections and a token's requests count over both), and:
 */
export interface WebGatewayOptions extends TcpGatewayOptions {
  /**
   * The origins (`https://chat.example.org`) whose pages may open a WebSocket; `*` allows any.
   * Default: the listener's own, an Origin whose host and port are the request's Host.
   */
  readonly origins?: readonly string[];
  /** The directory of the web client's files; default the package's dist/web. */
  readonly webRoot?: string;
}

/**
 * The web face of the server: one HTTP(S) listener that serves the web client's files and,
 * on `/ws`, WebSocket connections, each given a WsTransport and the same ChatSession a TCP
 * connection gets.
 */
export class WebGateway {
  private readonly server: Server;
  private readonly sockets: WebSocketServer;
  private readonly connections = new Map<WebSocket, ChatSession>();
  private readonly limits: ConnectionLimits;
  private readonly guards: ConnectionGuards;
  private readonly files: StaticFiles;
  private readonly origins: ReadonlySet<string> | '*' | 'same';
  private readonly logger: Logger;
  private readonly observer: SessionObserver;

  constructor(
    private readonly services: ChatServices,
    private readonly options: WebGatewayOptions,
  ) {
    this.logger = options.logger ?? SILENT_LOGGER;
    this.observer = options.observer ?? NO_OBSERVER;
    this.limits = connectionLimits(options.limits);
    this.guards = options.guards ?? connectionGuards(this.limits);
    this.files = new StaticFiles(options.webRoot ?? DEFAULT_WEB_ROOT);
    const origins = options.origins ?? [];
    this.origins = origins.includes('*') ? '*' : origins.length === 0 ? 'same' : new Set(origins.map((origin) => new URL(origin).origin));
    // Compression would let a small message inflate past the limit before it is counted; the protocol's messages are small.
    this.sockets = new WebSocketServer({ noServer: true, maxPayload: this.limits.maxPayloadBytes, perMessageDeflate: false, WebSocket: ParleyWebSocket });
    const server = options.tls ? createHttpsServer({ handshakeTimeout: this.limits.frameTimeoutMs, ...options.tls }) : createServer();
    server.on('request', (request, response) => {
      if (new URL(request.url ?? '/', 'http://host').pathname === WS_PATH) {
        return reply(response, 426, 'this path serves WebSocket connections only: connect with a WebSocket client\n', { Upgrade: 'websocket', Connection: 'Upgrade' });
      }
      this.files.serve(request, response).catch((error: unknown) => {
        this.logger.error({ err: error, path: request.url }, 'cannot serve a file');
        if (!response.headersSent) reply(response, 500, 'the server failed to serve this file; it has been logged\n');
        else response.destroy();
      });
    });
    server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => this.upgrade(request, socket as Socket, head));
    server.on('clientError', (error, socket) => socket.destroy(error));
    this.server = server;
  }

  /** Starts listening; resolves with the address actually bound. */
  listen(): Promise<AddressInfo> {
    return listenAndLog(this.server, { host: this.options.host, port: this.options.port, tls: Boolean(this.options.tls) }, this.logger, 'web listening');
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
    for (const ws of this.connections.keys()) ws.terminate();
    this.server.closeAllConnections();
    await closed;
    this.logger.info({}, 'web stopped');
  }

  /** An upgrade request: on `/ws`, from an allowed origin, it becomes a session (or is told why not). */
  private upgrade(request: IncomingMessage, socket: Socket, head: Buffer): void {
    socket.on('error', (error) => this.logger.debug({ err: error, peer: peerAddress(socket) }, 'connection error'));
    if (new URL(request.url ?? '/', 'http://host').pathname !== WS_PATH) return refuseUpgrade(socket, 404, `no WebSocket here: connect to ${WS_PATH}`);
    const origin = request.headers.origin;
    if (!this.allows(origin, request.headers.host)) {
      this.logger.warn({ event: 'origin_refused', origin, peer: peerAddress(socket) }, 'WebSocket refused: origin not allowed');
      this.observer.throttled('web-origin');
      return refuseUpgrade(socket, 403, `the origin ${origin} may not connect here (serve --web-origins)`);
    }
    const admitted = this.guards.admission.admit(peerAddress(socket));
    if ('refusal' in admitted) this.observer.throttled(admitted.refusal.limit);
    else socket.once('close', () => admitted.release());
    this.sockets.handleUpgrade(request, socket, head, (ws) => {
      if ('refusal' in admitted) this.turnAway(ws, socket, admitted.refusal);
      else this.accept(ws, socket);
    });
  }

  /**
   * Whether a page of `origin` may connect. A request without an Origin is not from a browser,
   * which always sends one: the check protects a browser's user from other sites' pages, and
   * any other client can say what it likes.
   */
  private allows(origin: string | undefined, host: string | undefined): boolean {
    if (origin === undefined || this.origins === '*') return true;
    let parsed: URL;
    try {
      parsed = new URL(origin);
    } catch {
      return false; // "null", from a file or a sandboxed frame
    }
    if (this.origins === 'same') return host !== undefined && parsed.host === host.toLowerCase();
    return this.origins.has(parsed.origin);
  }

  private accept(ws: WebSocket, socket: Socket): void {
    const transport = new WsTransport(ws, socket, this.limits, this.logger);
    const session = new ChatSession(transport, this.services, this.limits, this.logger, this.guards.requests.connection(), this.observer);
    this.connections.set(ws, session);
    ws.once('close', () => this.connections.delete(ws));
    transport.start(session);
  }

  /** Ends a connection over its address's limits: one envelope saying why, then a close it has a grace to take. */
  private turnAway(ws: WebSocket, socket: Socket, refusal: Refusal): void {
    if (refusal.first) this.logger.warn({ event: 'throttled', limit: refusal.limit, peer: peerAddress(socket) }, 'connection refused');
    ws.on('error', () => {});
    ws.send(JSON.stringify(failResponse(null, refusal.code, refusal.message, refusal.data)));
    ws.close(CLOSE.TRY_AGAIN_LATER, refusal.code);
    setTimeout(() => ws.terminate(), this.limits.closeGraceMs).unref();
  }
}

/** Answers an upgrade request with an HTTP error and one line saying why, then closes. */
function refuseUpgrade(socket: Socket, status: 403 | 404, reason: string): void {
  const body = `${reason}\n`;
  const statusText = status === 403 ? 'Forbidden' : 'Not Found';
  socket.end(`HTTP/1.1 ${status} ${statusText}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
}
