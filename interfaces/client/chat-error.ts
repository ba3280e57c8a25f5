/** Why a connection could not be made or was lost. */
export type ConnectionErrorCode = 'UNREACHABLE' | 'TLS' | 'CLOSED' | 'TIMEOUT' | 'PROTOCOL';

/**
 * Every way a request can go wrong, as one class. `status` says whose doing it was: `fail`
 * the server refused it by a rule (wrong password, not friends), `error` the server found the
 * request bad or failed to handle it, `connection` the connection could not be made, was
 * lost, or the server spoke something that is not the protocol. `code` is stable: the
 * server's code (USER_NOT_FOUND, NOT_AUTHENTICATED, …) or a ConnectionErrorCode.
 */
export class ChatError extends Error {
  override readonly name = 'ChatError';

  constructor(
    readonly status: 'fail' | 'error' | 'connection',
    readonly code: string,
    message: string,
    /** What the server added to its refusal, such as the unknown ids of an `ack`. */
    readonly data?: Record<string, unknown>,
  ) {
    super(message);
  }

  /** A transport failure: `code` is one of ConnectionErrorCode. */
  static connection(code: ConnectionErrorCode, message: string): ChatError {
    return new ChatError('connection', code, message);
  }

  /** Whether the connection was lost or timed out, so a request may or may not have been run. */
  get connectionLost(): boolean {
    return this.status === 'connection' && (this.code === 'CLOSED' || this.code === 'TIMEOUT');
  }
}
