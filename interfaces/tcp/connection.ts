import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { ChatServices } from '../../application/chat-app.js';
import type { Detach } from '../../application/delivery-service.js';
import type { KickReason, SessionSink } from '../../application/ports/session-hub.js';
import { DomainError, type OfflineMessage, type UserId } from '../../domain/index.js';
import { toMessagePayload } from '../wire/message-payload.js';
import {
  encodeFrame,
  errorResponse,
  event,
  failResponse,
  FrameDecoder,
  okResponse,
  parseRequest,
  WireError,
  type Request,
  type Response,
} from '../wire/index.js';
import { OPERATIONS } from './operations.js';

export interface ConnectionLimits {
  readonly maxPayloadBytes: number;
  /** Requests read but not yet answered; past this the connection stops reading until it catches up. */
  readonly maxQueuedRequests: number;
  /** Bytes waiting to be written to a peer that does not read; past this it is cut off (its messages stay queued). */
  readonly maxBufferedBytes: number;
  /** A connection that is not attached and sends nothing for this long is closed. */
  readonly idleTimeoutMs: number;
}

/**
 * One client connection: decodes frames, answers requests one at a time in the order they
 * arrived (so one client's sends keep their order), and is the session sink when attached.
 */
export class Connection implements SessionSink {
  private readonly decoder: FrameDecoder;
  private readonly peerIp: string;
  private attachedTo: UserId | null = null;
  private detachFromHub: Detach | null = null;
  private queued = 0;
  private closing = false;
  private work: Promise<void> = Promise.resolve();

  constructor(
    private readonly socket: Socket,
    private readonly services: ChatServices,
    private readonly limits: ConnectionLimits,
    private readonly log: Logger,
  ) {
    this.decoder = new FrameDecoder(limits.maxPayloadBytes);
    this.peerIp = (socket.remoteAddress ?? 'unknown').replace(/^::ffff:/, '');
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 30_000);
    socket.setTimeout(limits.idleTimeoutMs);
    socket.on('timeout', () => {
      if (this.attachedTo === null) this.socket.end();
    });
    socket.on('data', (chunk) => this.receive(chunk));
    socket.on('error', (error) => this.log.debug({ err: error, peer: this.peerIp }, 'connection error'));
    socket.on('close', () => this.detach());
  }

  /** Reads nothing more, tells an attached client the server is going away, answers what was read, then closes. */
  async shutdown(): Promise<void> {
    this.closing = true;
    this.socket.pause();
    if (this.attachedTo !== null) {
      this.detach();
      this.send(event('kicked', { reason: 'SERVER_SHUTDOWN', message: 'the server is shutting down' }));
    }
    await this.work;
    this.socket.end();
  }

  push(delivery: OfflineMessage): void {
    this.send(event('message', { ...toMessagePayload(delivery.message) }, delivery.id));
  }

  ready(): Promise<void> {
    if (this.socket.destroyed || this.socket.writableLength < this.limits.maxBufferedBytes / 4) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        this.socket.off('drain', done).off('close', done);
        resolve();
      };
      this.socket.on('drain', done).on('close', done);
    });
  }

  kick(reason: KickReason, message: string): void {
    this.attachedTo = null;
    this.detachFromHub = null;
    this.send(event('kicked', { reason, message }));
    this.socket.end();
  }

  private receive(chunk: Buffer): void {
    for (const frame of this.decoder.push(chunk)) {
      if ('error' in frame) {
        this.refuse(frame.error);
        if (frame.error.fatal) return;
        continue;
      }
      let request: Request;
      try {
        request = parseRequest(frame.payload);
      } catch (error) {
        if (!(error instanceof WireError)) throw error;
        this.refuse(error);
        continue;
      }
      this.enqueue(request);
    }
  }

  private refuse(error: WireError): void {
    this.log.debug({ peer: this.peerIp, code: error.code }, error.message);
    this.send(errorResponse(error.requestId ?? null, error.code, error.message));
    if (error.fatal) this.socket.end();
  }

  private enqueue(request: Request): void {
    if (++this.queued >= this.limits.maxQueuedRequests) this.socket.pause();
    this.work = this.work
      .then(() => this.respond(request))
      .then((response) => this.send(response))
      .finally(() => {
        if (--this.queued < this.limits.maxQueuedRequests && !this.closing) this.socket.resume();
      });
  }

  private async respond(request: Request): Promise<Response> {
    const operation = Object.hasOwn(OPERATIONS, request.op) ? OPERATIONS[request.op] : undefined;
    if (!operation) return errorResponse(request.id, 'UNKNOWN_OPERATION', `unknown operation "${request.op}"`);
    const args = operation.args.safeParse(request.args);
    if (!args.success) return errorResponse(request.id, 'BAD_ARGUMENTS', z.prettifyError(args.error));
    const context = {
      services: this.services,
      token: request.token,
      peerIp: this.peerIp,
      attach: (userId: UserId) => this.attach(userId),
      detach: () => this.detach(),
    };
    try {
      const data = operation.authenticated
        ? await operation.run({ ...context, user: await this.services.accounts.authenticate(request.token) }, args.data)
        : await operation.run(context, args.data);
      return okResponse(request.id, data);
    } catch (error) {
      if (error instanceof DomainError) return failResponse(request.id, error.code, error.message, error.details);
      this.log.error({ err: error, op: request.op, peer: this.peerIp }, 'request failed');
      return errorResponse(request.id, 'INTERNAL', 'the server failed to handle this request; it has been logged');
    }
  }

  /** Attaches this connection to the user's pushes; resolves once their backlog has been pushed. */
  private async attach(userId: UserId): Promise<number> {
    this.detach();
    this.attachedTo = userId;
    const { detach, replayed } = await this.services.delivery.attach(userId, this);
    if (this.socket.destroyed || this.attachedTo !== userId) await detach();
    else this.detachFromHub = detach;
    return replayed;
  }

  private detach(): void {
    void this.detachFromHub?.();
    this.detachFromHub = null;
    this.attachedTo = null;
  }

  private send(payload: Response | ReturnType<typeof event>): void {
    if (this.socket.destroyed || this.socket.writableEnded) return;
    let frame: Buffer;
    try {
      frame = encodeFrame(payload, this.limits.maxPayloadBytes);
    } catch (error) {
      if (!(error instanceof WireError) || payload.type !== 'response') throw error;
      frame = encodeFrame(errorResponse(payload.id, error.code, 'the response is larger than the frame limit'));
    }
    this.socket.write(frame);
    if (this.socket.writableLength > this.limits.maxBufferedBytes) {
      this.log.warn({ peer: this.peerIp, buffered: this.socket.writableLength }, 'peer does not read; disconnecting');
      this.socket.destroy();
    }
  }
}
