export * from './envelope.js';
export * from './frame.js';
export * from './frame-limits.js';
export * from './message-payload.js';
export * from './operations.js';
export * from './time.js';
export * from './wire-error.js';
