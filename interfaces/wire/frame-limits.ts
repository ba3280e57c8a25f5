import { GROUP_NAME_MAX_LENGTH, MESSAGE_MAX_LENGTH, USERNAME_MAX_LENGTH } from '../../domain/index.js';
import { event } from './envelope.js';
import type { MessagePayload } from './message-payload.js';

/**
 * Most bytes one character (code point) of a text or group name takes in a payload: UTF-8
 * needs at most 4, and JSON escapes only `"` and `\` (2 bytes), newline and tab (2 bytes),
 * other C0 controls and lone surrogates (6 bytes), which the domain refuses in both.
 * Usernames are ASCII letters, digits, `_` and `-`: 1 byte each.
 */
const MAX_BYTES_PER_CHARACTER = 4;

const WIDEST_ID = Number.MAX_SAFE_INTEGER;
const WIDEST_TIME = new Date(8.64e15).toISOString(); // +275760-09-13T00:00:00.000Z, the last date there is
const widestGroup = { id: WIDEST_ID, name: '', creator: '' };

/** Every kind of `message` event with its strings empty and its numbers and times at their widest. */
const SKELETONS: MessagePayload[] = [
  { kind: 'private', from: '', fromAdmin: false, text: '', sentAt: WIDEST_TIME },
  { kind: 'group', from: '', fromAdmin: false, group: widestGroup, text: '', sentAt: WIDEST_TIME },
  // The longest topic; a notice's text is built from names, far short of a message's.
  { kind: 'notice', topic: 'group-invited', from: '', group: widestGroup, text: '', sentAt: WIDEST_TIME },
];

/**
 * The largest payload of an event the server may push, in bytes: a `message` event whose
 * text, sender, group name and creator are all at their longest and widest. Every message
 * the server accepts fits in it.
 */
export const LARGEST_EVENT_BYTES =
  Math.max(...SKELETONS.map((payload) => Buffer.byteLength(JSON.stringify(event('message', { ...payload }, WIDEST_ID))))) +
  MESSAGE_MAX_LENGTH * MAX_BYTES_PER_CHARACTER +
  GROUP_NAME_MAX_LENGTH * MAX_BYTES_PER_CHARACTER +
  2 * USERNAME_MAX_LENGTH;

/**
 * The smallest frame limit a server may be configured with: 64 KiB. It holds the largest
 * event (`LARGEST_EVENT_BYTES`, about 16.5 KB) with room to spare, so a message answered `ok`
 * can always be pushed, and the largest valid `send` or `sendgroup` request even from a client
 * that escapes every character as `\uXXXX` (12 bytes per emoji: 48,000 bytes of text).
 */
export const MIN_MAX_PAYLOAD_BYTES = 64 * 1024;
