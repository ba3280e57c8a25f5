/** parley's public entry: embed the application, run the server, or talk to one. */
export { createChatApp, type ChatAppOptions } from './container.js';
export type { ChatApp, ChatServices } from './application/chat-app.js';
export type { UserView } from './application/views.js';
export { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, type Page, type PageArgs } from './application/paging.js';
export { DomainError, type DomainErrorCode } from './domain/index.js';
export { TcpGateway, type TcpGatewayOptions } from './interfaces/tcp/tcp-gateway.js';
export * from './client.js';
