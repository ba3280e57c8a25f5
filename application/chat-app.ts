import type { AccountService } from './account-service.js';
import type { AdminService } from './admin-service.js';
import type { Logger } from './ports/logger.js';
import type { LoginThrottleLimits } from './ports/login-throttle.js';
import type { DeliveryService } from './delivery-service.js';
import type { FriendService } from './friend-service.js';
import type { GroupService } from './group-service.js';
import type { MessagingService } from './messaging-service.js';
import type { PresenceService } from './presence-service.js';
import type { UserHandle, UserRef } from './user-handle.js';

/** The use cases, as driving adapters (the TCP gateway, the CLI, an embedding service) call them. */
export interface ChatServices {
  readonly accounts: AccountService;
  readonly admin: AdminService;
  readonly delivery: DeliveryService;
  readonly friends: FriendService;
  readonly groups: GroupService;
  readonly messaging: MessagingService;
  /** Tells friends and group members of presence changes; built with the app, it needs no calls. */
  readonly presence: PresenceService;
}

/** A running application: its services, the handle of any user, and the one call that releases its storage. */
export interface ChatApp extends ChatServices {
  /**
   * Acts for a user the host has already authenticated, named by username or id: no password
   * is asked, the host vouches for them. Refuses an unknown user (UNKNOWN_USER) and a banned
   * one (USER_BANNED).
   */
  as(user: UserRef): Promise<UserHandle>;
  close(): Promise<void>;
}

/**
 * Opens an application on the given storage (`sqlite:<path>`, `postgres://…` or `memory`) and
 * session hub (`in-process` or `redis://host:port`, its keys and channels under `hubPrefix`,
 * whose dead nodes' users go offline after `presenceTimeoutMs`; friends hear a user went offline
 * after `presenceGraceMs` without a connection); `tokenLifetimeMs` bounds how
 * long a login lasts, `maxPageSize` how many rows a listing's page may hold, `maxQueuedPerUser`
 * how many deliveries may wait for one user, `busyTimeoutMs` how long a write waits for a
 * database lock, `maxDbConnections` how many connections a PostgreSQL database is given,
 * `loginThrottle` how failed logins are slowed.
 */
export type ChatAppFactory = (options: {
  storage: string;
  logger?: Logger;
  hub?: string;
  hubPrefix?: string;
  presenceTimeoutMs?: number;
  presenceGraceMs?: number;
  maxQueuedPerUser?: number;
  busyTimeoutMs?: number;
  maxDbConnections?: number;
  tokenLifetimeMs?: number;
  maxPageSize?: number;
  loginThrottle?: Partial<LoginThrottleLimits>;
}) => Promise<ChatApp>;
