import type { Event, Response, SharedJson, WireError } from '../wire/index.js';

/** An envelope the session has already serialised (a delivery): `head.json + tail`, the head shared by every recipient of one message. */
export interface Encoded {
  readonly type: 'encoded';
  readonly head: SharedJson;
  readonly tail: string;
}

/** What a session sends: envelopes, never bytes. */
export type Outgoing = Response | Event | Encoded;

/**
 * One connection's way to its peer, as a session sees it: envelopes out, flow control in.
 * A transport frames envelopes (TCP: the binary framing; WebSocket: one text message each)
 * and knows nothing of users.
 */
export interface Transport {
  /** The peer's address without an IPv4-mapped prefix, for logs and the login log. */
  readonly peerIp: string;
  /** False once the connection is closing or closed: `send` then does nothing. */
  readonly open: boolean;
  /** Bytes sent but not yet taken by the peer, including what is gathered for the current write. */
  readonly bufferedBytes: number;
  /** Queues one envelope; throws a `FRAME_TOO_LARGE` WireError, sending nothing, if it cannot be framed. */
  send(envelope: Outgoing): void;
  /** Stops reading at once and ends the connection: after what was sent has been written, or at once. */
  close(afterFlush: boolean): void;
  /** Stops reading from the peer until `resume`; a transport's deadline for a frame begun waits meanwhile. */
  pause(): void;
  resume(): void;
}

/** What a transport tells its session. */
export interface TransportHandler {
  /** One decoded payload, not yet checked to be a request. */
  receive(payload: unknown): void;
  /** A frame that could not be decoded, or not in time; after a fatal one nothing more will be received. */
  refuse(error: WireError): void;
  /** Nothing has moved on the connection, either way, for the idle timeout. */
  idle(): void;
  /** The output buffer has emptied: there is room for more. */
  drained(): void;
  /** The connection is closed, by either side; nothing more will happen on it. */
  closed(): void;
}
