import type { Socket } from 'node:net';
import type { Logger } from '../../application/ports/logger.js';
import type { Outgoing, Transport, TransportHandler } from '../session/transport.js';
import { FrameBatch, FrameDecoder, WireError } from '../wire/index.js';

export interface TcpTransportLimits {
  /** The largest payload of a frame, either way. */
  readonly maxPayloadBytes: number;
  /** A connection on which nothing moved either way for this long is reported idle to its session. */
  readonly idleTimeoutMs: number;
  /**
   * A frame whose first bytes have arrived must be complete within this long, in every
   * state, so a peer cannot hold a connection by trickling one frame.
   */
  readonly frameTimeoutMs: number;
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
  /** What this turn of the event loop sends, written at its end; none between turns, so an idle connection holds nothing. */
  private batch: FrameBatch | undefined;
  private gathering = false;
  private handler: TransportHandler | null = null;
  /** Runs while a frame is begun and incomplete (and reading is not paused by the session). */
  private frameTimer: NodeJS.Timeout | undefined;

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
    this.handler = handler;
    this.socket.on('data', (chunk: Buffer) => {
      const frames = this.decoder.push(chunk);
      for (const frame of frames) {
        if ('payload' in frame) handler.receive(frame.payload);
        else handler.refuse(frame.error);
      }
      // A frame completed: what is left, if anything, is a new frame that began just now.
      if (frames.length > 0) this.stopFrameTimer();
      this.startFrameTimer();
    });
    // Whether output waits or not: the session judges a peer by what it sends, not by the pace it reads at.
    this.socket.on('timeout', () => handler.idle());
    this.socket.on('drain', () => handler.drained());
    this.socket.on('error', (error) => this.log.debug({ err: error, peer: this.peerIp }, 'connection error'));
    this.socket.on('close', () => {
      this.stopFrameTimer();
      handler.closed();
    });
  }

  /** Starts the frame deadline if a frame is begun and none runs yet. */
  private startFrameTimer(): void {
    if (this.frameTimer || this.decoder.pendingBytes === 0 || this.socket.isPaused() || !this.open) return;
    this.frameTimer = setTimeout(() => {
      this.frameTimer = undefined;
      const seconds = this.limits.frameTimeoutMs / 1000;
      this.handler?.refuse(new WireError('FRAME_TIMEOUT', `a frame was begun but not completed within ${seconds} s`));
    }, this.limits.frameTimeoutMs);
  }

  private stopFrameTimer(): void {
    clearTimeout(this.frameTimer);
    this.frameTimer = undefined;
  }

  get open(): boolean {
    return !this.socket.destroyed && !this.socket.writableEnded;
  }

  get bufferedBytes(): number {
    return this.socket.writableLength + (this.batch?.bytes ?? 0);
  }

  send(envelope: Outgoing): void {
    if (!this.open) return;
    const batch = (this.batch ??= new FrameBatch(this.limits.maxPayloadBytes));
    if (envelope.type === 'encoded') batch.addShared(envelope.head, envelope.tail);
    else batch.add(JSON.stringify(envelope));
    if (!this.gathering) {
      this.gathering = true;
      setImmediate(() => this.flush());
    }
  }

  private flush(): void {
    this.gathering = false;
    const batch = this.batch;
    this.batch = undefined;
    if (!batch || this.socket.destroyed) return;
    // Taken below the high-water mark (most often whole, by the kernel): no 'drain' will come,
    // yet a session waiting for room (counted with the batch) has it now.
    if (this.socket.write(batch.take())) this.handler?.drained();
  }

  close(afterFlush: boolean): void {
    this.pause();
    if (afterFlush) {
      this.flush();
      this.socket.end();
    } else this.socket.destroy();
  }

  /** Stops reading; the frame deadline waits too, since the rest of a frame cannot arrive meanwhile. */
  pause(): void {
    this.socket.pause();
    this.stopFrameTimer();
  }

  resume(): void {
    if (!this.open) return;
    this.socket.resume();
    this.startFrameTimer();
  }
}
