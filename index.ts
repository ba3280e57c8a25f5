/** parley's public entry: embed the application, run the server, or talk to one. */
export { createChatApp, type ChatAppOptions } from './container.js';
export type { ChatApp, ChatServices } from './application/chat-app.js';
export { UserHandle, type AdminCalls, type SendOptions, type UserHandleServices, type UserRef } from './application/user-handle.js';
export { MAX_UNREAD_PUSHES, type InboxEnd, type InboxMessage, type InboxSubscription } from './application/inbox-subscription.js';
export type { AccountService, LoginResult } from './application/account-service.js';
export type { AdminService, UserListing } from './application/admin-service.js';
export type { Acknowledgement, DeliveryService } from './application/delivery-service.js';
export type { FriendService, FriendView } from './application/friend-service.js';
export type { GroupName, GroupSent, GroupService, GroupView } from './application/group-service.js';
export type { MessagingService, SentMessage } from './application/messaging-service.js';
export type { PresenceService } from './application/presence-service.js';
export type { UserView } from './application/views.js';
export { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, type Page, type PageArgs } from './application/paging.js';
export type { Logger } from './application/ports/logger.js';
export { SessionHubError, type KickReason } from './application/ports/session-hub.js';
export { StorageError } from './application/ports/storage-error.js';
export type { LoginThrottleLimits } from './application/ports/login-throttle.js';
export type { ScryptCost } from './infrastructure/scrypt-password-hasher.js';
export {
  DomainError,
  type ChatMessage,
  type Correspondent,
  type DomainErrorCode,
  type GroupId,
  type GroupRef,
  type MessageId,
  type NoticeTopic,
  type UserId,
  type Username,
} from './domain/index.js';
export { DEFAULT_CONNECTION_LIMITS, TcpGateway, type ConnectionLimits, type TcpGatewayOptions } from './interfaces/tcp/tcp-gateway.js';
export { WebGateway, type WebGatewayOptions } from './interfaces/web/web-gateway.js';
export * from './client.js';
