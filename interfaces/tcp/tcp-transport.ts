import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import type { Outgoing, Transport, TransportHandler } from '../session/transport.js';
import { encodeFrame, encodeJsonFrame, FrameDecoder } from '../wire/index.js';

export interface TcpTransportLimits {
  /** The largest payload of a frame, either way. */
  readonly maxPayloadBytes: number;
  /**
   * A peer that sends nothing for this long is reported idle to its session; one that has
   * taken none of the output waiting for it for this long is cut off, in whatever state.
   */
  readonly idleTimeoutMs: number;
}

/** The peer's address without an IPv4-mapped prefix. */
export function peerAddress(socket: Socket): string {
  return (socket.remoteAddress ?? 'unknown').replace(/^::ffff:/, '');
}

/**
 * A session's TCP connection: parley frames over a socket. What the session sends during
 * one turn of the event loop (a backlog page, a burst of pushes, the answers to pipelined
 * requests) goes out in one write.
 */
export class TcpTransport implements Transport {
  readonly peerIp: string;
  private readonly decoder: FrameDecoder;
  private gathering = false;

  constructor(
    private readonly socket: Socket,
    private readonly limits: TcpTransportLimits,
    private readonly log: Logger,
  ) {
    this.decoder = new FrameDecoder(limits.maxPayloadBytes);
    this.peerIp = peerAddress(socket);
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 30_000);
    socket.setTimeout(limits.idleTimeoutMs);
  }

  /** Starts reading: from now on `handler` hears of every frame and of the connection's end. */
  start(handler: TransportHandler): void {
    this.socket.on('data', (chunk: Buffer) => {
      for (const frame of this.decoder.push(chunk)) {
        if ('payload' in frame) handler.receive(frame.payload);
        else handler.refuse(frame.error);
      }
    });
    this.socket.on('timeout', () => {
      if (this.socket.writableLength === 0) return handler.idle();
      // Output has waited the whole timeout without the peer taking a byte: it does not read.
      this.log.warn({ event: 'disconnected', limit: 'idle-output', peer: this.peerIp, buffered: this.socket.writableLength }, 'peer takes nothing of what is sent; disconnecting');
      this.socket.destroy();
    });
    this.socket.on('drain', () => handler.drained());
    this.socket.on('error', (error) => this.log.debug({ err: error, peer: this.peerIp }, 'connection error'));
    this.socket.on('close', () => handler.closed());
  }

  get open(): boolean {
    return !this.socket.destroyed && !this.socket.writableEnded;
  }

  get bufferedBytes(): number {
    return this.socket.writableLength;
  }

  send(envelope: Outgoing): void {
    if (!this.open) return;
    const frame = envelope.type === 'encoded' ? encodeJsonFrame(envelope.json, this.limits.maxPayloadBytes) : encodeFrame(envelope, this.limits.maxPayloadBytes);
    if (!this.gathering) {
      // Corked writes count in writableLength at once and leave together, as one writev.
      this.gathering = true;
      this.socket.cork();
      setImmediate(() => this.flush());
    }
    this.socket.write(frame);
  }

  private flush(): void {
    this.gathering = false;
    if (!this.socket.destroyed) this.socket.uncork();
  }

  close(afterFlush: boolean): void {
    if (afterFlush) this.socket.end();
    else this.socket.destroy();
  }

  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
  }
}
