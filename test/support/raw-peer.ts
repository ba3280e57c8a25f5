import { connect, type Socket } from 'node:net';
import { FrameDecoder, encodeFrame } from '../../interfaces/wire/index.js';

/** A bare protocol peer for tests: writes any bytes, reads whole frames. */
export class RawPeer {
  private readonly decoder = new FrameDecoder();
  private readonly frames: unknown[] = [];
  private waiting: (() => void) | undefined;
  closed = false;

  private constructor(readonly socket: Socket) {
    socket.on('data', (chunk) => {
      for (const frame of this.decoder.push(chunk)) this.frames.push('payload' in frame ? frame.payload : frame);
      this.waiting?.();
    });
    socket.on('close', () => {
      this.closed = true;
      this.waiting?.();
    });
  }

  static open(port: number): Promise<RawPeer> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port }, () => resolve(new RawPeer(socket)));
      socket.once('error', reject);
    });
  }

  write(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  request(id: number | string, op: string, args: Record<string, unknown> = {}, token?: string): void {
    this.write(encodeFrame({ type: 'request', id, op, args, ...(token ? { token } : {}) }));
  }

  /** Every frame from now until the server closes the connection. */
  async framesUntilClosed(): Promise<Record<string, unknown>[]> {
    const frames: Record<string, unknown>[] = [];
    for (;;) {
      try {
        frames.push(await this.next());
      } catch (error) {
        if ((error as Error).message === 'connection closed') return frames;
        throw error;
      }
    }
  }

  /** The next frame the server sends; rejects if the connection closes first or after `ms`. */
  async next(ms = 5000): Promise<Record<string, unknown>> {
    const deadline = Date.now() + ms;
    while (this.frames.length === 0) {
      if (this.closed) throw new Error('connection closed');
      if (Date.now() > deadline) throw new Error('no frame in time');
      await new Promise<void>((resolve) => {
        this.waiting = resolve;
        setTimeout(resolve, 50);
      });
    }
    return this.frames.shift() as Record<string, unknown>;
  }

  /** The next frame that is not a presence notice (`presence`, `group-presence`: pushed as people come and go, never acknowledged). */
  async nextDelivery(ms = 5000): Promise<Record<string, unknown>> {
    const deadline = Date.now() + ms;
    for (;;) {
      const frame = await this.next(Math.max(0, deadline - Date.now()));
      if (frame.event !== 'presence' && frame.event !== 'group-presence') return frame;
    }
  }

  /** Resolves once the server has closed the connection. */
  async closedByServer(ms = 5000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!this.closed) {
      if (Date.now() > deadline) throw new Error('the server left the connection open');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  end(): void {
    this.socket.destroy();
  }
}
