import type { Socket } from 'node:net';
import { WebSocket, type RawData } from 'ws';
import type { Logger } from '../../application/ports/logger.js';
import type { Outgoing, Transport, TransportHandler } from '../session/transport.js';
import { peerAddress, type TcpTransportLimits } from '../tcp/tcp-transport.js';
import { WireError } from '../wire/index.js';

/** The close codes of RFC 6455 (section 7.4.1) that parley sends, or ws sends for it. */
export const CLOSE = {
  /** The session ended: its last envelope (`kicked`, an error response) says why. */
  NORMAL: 1000,
  /** Not a valid WebSocket frame (ws). */
  PROTOCOL_ERROR: 1002,
  /** A binary message: the protocol is JSON text. */
  UNSUPPORTED_DATA: 1003,
  /** A text message that is not UTF-8 (ws). */
  INVALID_DATA: 1007,
  /** A message over the payload limit (ws). */
  TOO_BIG: 1009,
  /** Turned away before the session began (too many connections from the address): the one envelope before it says why. */
  TRY_AGAIN_LATER: 1013,
} as const;

/** The reasons sent with the close codes a peer's message earns (at most 123 bytes each). */
export const CLOSE_REASONS: Readonly<Record<number, string>> = {
  [CLOSE.PROTOCOL_ERROR]: 'not a valid WebSocket frame',
  [CLOSE.UNSUPPORTED_DATA]: 'binary frames are not part of the protocol',
  [CLOSE.INVALID_DATA]: 'a text message must be UTF-8',
  [CLOSE.TOO_BIG]: 'the message is over the server\'s payload limit',
};

/** ws closes on a bad frame (over `maxPayload`, not UTF-8, malformed) with a code and no reason; the server's WebSockets give one. */
export class ParleyWebSocket extends WebSocket {
  override close(code?: number, reason?: string | Buffer): void {
    super.close(code, reason ?? (code === undefined ? undefined : CLOSE_REASONS[code]));
  }
}

/**
 * A session's WebSocket: one envelope per JSON text message, either way. The socket under the
 * WebSocket carries the idle timeout and the message deadline, as a TCP transport's does.
 */
export class WsTransport implements Transport {
  readonly peerIp: string;
  /** The close frame to send when the session closes after a refusal, instead of a normal one. */
  private closing: { code: number; reason: string } = { code: CLOSE.NORMAL, reason: '' };
  /** Runs from the first bytes of a message until it is whole (while reading is not paused). */
  private messageTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly ws: WebSocket,
    private readonly socket: Socket,
    private readonly limits: TcpTransportLimits,
    private readonly log: Logger,
  ) {
    this.peerIp = peerAddress(socket);
  }

  /** Starts reading: from now on `handler` hears of every message and of the connection's end. */
  start(handler: TransportHandler): void {
    // After ws took the socket, which clears its timeout.
    this.socket.setTimeout(this.limits.idleTimeoutMs);
    this.socket.setNoDelay(true);
    this.socket.on('timeout', () => handler.idle());
    // Bytes arrived: a message is begun, unless they complete one, which `message` then says.
    this.socket.prependListener('data', () => this.startMessageTimer(handler));
    this.socket.on('drain', () => handler.drained());
    this.ws.on('message', (data: RawData, isBinary: boolean) => {
      this.stopMessageTimer();
      // Read while closing only to hear the peer's close frame.
      if (!this.open) return;
      if (isBinary) {
        // Fatal, so the session answers what came before, then closes with this code.
        const reason = CLOSE_REASONS[CLOSE.UNSUPPORTED_DATA]!;
        this.closing = { code: CLOSE.UNSUPPORTED_DATA, reason };
        return handler.refuse(new WireError('BINARY_MESSAGE', reason));
      }
      let payload: unknown;
      try {
        payload = JSON.parse(data.toString());
      } catch {
        return handler.refuse(new WireError('BAD_JSON', 'the payload is not UTF-8 JSON'));
      }
      handler.receive(payload);
    });
    for (const control of ['ping', 'pong'] as const) this.ws.on(control, () => this.stopMessageTimer());
    this.ws.on('error', (error: Error & { code?: string }) => {
      // ws has closed the connection already, with ParleyWebSocket's reason; the session logs an oversized message as TCP's.
      if (error.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') {
        handler.refuse(new WireError('FRAME_TOO_LARGE', `a message over the ${this.limits.maxPayloadBytes}-byte limit`));
      } else this.log.debug({ err: error, peer: this.peerIp }, 'connection error');
    });
    this.ws.on('close', () => {
      this.stopMessageTimer();
      handler.closed();
    });
  }

  private startMessageTimer(handler: TransportHandler): void {
    if (this.messageTimer || !this.open || this.socket.isPaused()) return;
    this.messageTimer = setTimeout(() => {
      this.messageTimer = undefined;
      const seconds = this.limits.frameTimeoutMs / 1000;
      handler.refuse(new WireError('FRAME_TIMEOUT', `a message was begun but not completed within ${seconds} s`));
    }, this.limits.frameTimeoutMs);
  }

  private stopMessageTimer(): void {
    clearTimeout(this.messageTimer);
    this.messageTimer = undefined;
  }

  get open(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  get bufferedBytes(): number {
    return this.ws.bufferedAmount;
  }

  send(envelope: Outgoing): void {
    if (!this.open) return;
    const json = envelope.type === 'encoded' ? envelope.head.json + envelope.tail : JSON.stringify(envelope);
    const length = Buffer.byteLength(json, 'utf8');
    if (length > this.limits.maxPayloadBytes) {
      throw new WireError('FRAME_TOO_LARGE', `a payload of ${length} bytes is over the ${this.limits.maxPayloadBytes}-byte limit`);
    }
    this.ws.send(json);
  }

  /** Closes with a close frame after what was sent, then reads only the peer's answering close frame; or cuts the connection. */
  close(afterFlush: boolean): void {
    this.stopMessageTimer();
    if (!afterFlush) return this.ws.terminate();
    this.ws.close(this.closing.code, this.closing.reason);
    this.ws.resume();
  }

  /** Stops reading; the message deadline waits too, since the rest of a message cannot arrive meanwhile. */
  pause(): void {
    this.ws.pause();
    this.stopMessageTimer();
  }

  resume(): void {
    if (this.open) this.ws.resume();
  }
}
