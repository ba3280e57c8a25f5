/** Every refusal the domain and the use cases can make. The codes are part of the wire protocol: never rename one. */
export type DomainErrorCode =
  | 'INVALID_USERNAME'
  | 'USERNAME_TAKEN'
  | 'USERNAME_RESERVED'
  | 'WEAK_PASSWORD'
  | 'INVALID_PASSWORD'
  | 'UNKNOWN_USER'
  | 'WRONG_PASSWORD'
  | 'USER_BANNED'
  | 'NOT_AUTHENTICATED'
  | 'SESSION_EXPIRED'
  | 'TOKEN_EXPIRED'
  | 'NOT_ADMIN'
  | 'CANNOT_BEFRIEND_SELF'
  | 'ALREADY_FRIENDS'
  | 'NOT_FRIENDS'
  | 'CANNOT_MESSAGE_SELF'
  | 'EMPTY_MESSAGE'
  | 'MESSAGE_TOO_LONG'
  | 'INVALID_TEXT'
  | 'UNKNOWN_MESSAGE'
  | 'INVALID_GROUP_NAME'
  | 'GROUP_EXISTS'
  | 'GROUP_LIMIT_REACHED'
  | 'UNKNOWN_GROUP'
  | 'AMBIGUOUS_GROUP'
  | 'NOT_GROUP_OWNER'
  | 'ALREADY_MEMBER'
  | 'NOT_MEMBER'
  | 'CANNOT_KICK_SELF'
  | 'CANNOT_KICK_OWNER'
  | 'GROUP_BANNED'
  | 'ALREADY_BANNED'
  | 'NOT_BANNED'
  | 'CANNOT_BAN_ADMIN'
  | 'QUEUE_FULL'
  | 'INVALID_PAGE'
  | 'RATE_LIMITED';

/** An expected refusal: a rule said no. Adapters turn the code into a `fail` response or an exit status. */
export class DomainError extends Error {
  override readonly name = 'DomainError';

  constructor(
    readonly code: DomainErrorCode,
    message: string,
    readonly details?: Readonly<Record<string, unknown>>,
  ) {
    super(message);
  }
}
