export type WireErrorCode = 'BAD_MAGIC' | 'BAD_CHECKSUM' | 'FRAME_TOO_LARGE' | 'FRAME_TIMEOUT' | 'BAD_JSON' | 'BAD_ENVELOPE' | 'BINARY_MESSAGE';

/**
 * After these the byte stream cannot be resynchronised, or is not worth waiting for: the
 * connection must close. `BINARY_MESSAGE` is a WebSocket's binary message: the peer does not speak the protocol.
 */
const FATAL: ReadonlySet<WireErrorCode> = new Set(['BAD_MAGIC', 'FRAME_TOO_LARGE', 'FRAME_TIMEOUT', 'BINARY_MESSAGE']);

/** A frame or envelope that breaks the protocol. */
export class WireError extends Error {
  override readonly name = 'WireError';
  readonly fatal: boolean;

  constructor(
    readonly code: WireErrorCode,
    message: string,
    /** The request's id, when it could be read, so the error can answer it. */
    readonly requestId: number | string | null = null,
  ) {
    super(message);
    this.fatal = FATAL.has(code);
  }
}
