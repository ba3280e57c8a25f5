export * from './chat-message.js';
export * from './domain-error.js';
export * from './friendship.js';
export * from './group.js';
export * from './membership.js';
export * from './offline-message.js';
export * from './text.js';
export * from './user.js';
