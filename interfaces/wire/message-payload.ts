import type { ChatMessage } from '../../domain/index.js';
import { SharedJson } from './frame.js';
import type { GroupPayload, MessagePayload } from './operations.js';
import { wireTime } from './time.js';

export type { GroupPayload, MessagePayload } from './operations.js';

/** The payload of the `message` event that delivers `message`; the compiler checks the domain's notice topics are the wire's. */
export function toMessagePayload(message: ChatMessage): MessagePayload {
  const sentAt = wireTime(message.sentAt);
  const group = (ref: GroupPayload | null): GroupPayload | null => ref && { id: ref.id, name: ref.name, creator: ref.creator };
  switch (message.kind) {
    case 'private':
      return { kind: 'private', from: message.from.username, fromAdmin: message.fromAdmin, text: message.text, sentAt };
    case 'group':
      return {
        kind: 'group',
        from: message.from.username,
        fromAdmin: message.fromAdmin,
        group: group(message.group)!,
        text: message.text,
        sentAt,
      };
    case 'notice':
      return {
        kind: 'notice',
        topic: message.topic,
        from: message.from?.username ?? null,
        group: group(message.group),
        text: message.text,
        sentAt,
      };
  }
}

/**
 * The message whose event head was made last, and that head. A group message's deliveries are
 * pushed one after another, so its recipients share one head; a message framed again later
 * (a replay) is simply serialised again. One entry rather than a WeakMap of every message: a
 * WeakMap entry per private message was work for the garbage collector on every message.
 */
let lastMessage: ChatMessage | undefined;
let lastHead: SharedJson | undefined;

/**
 * The `message` event that delivers `message`, up to its id: `messageEventHead(message).json +
 * messageEventTail(id)` is the same text as `JSON.stringify(event('message',
 * toMessagePayload(message), id))`, with the payload serialised (and, framed, encoded and
 * checksummed) once per message rather than once per recipient. The id comes last for that.
 */
export function messageEventHead(message: ChatMessage): SharedJson {
  if (message !== lastMessage || lastHead === undefined) {
    lastHead = new SharedJson(`{"type":"event","event":"message","data":${JSON.stringify(toMessagePayload(message))},"id":`);
    lastMessage = message;
  }
  return lastHead;
}

/** The rest of the `message` event that delivers a message with `id`, after its head. */
export function messageEventTail(id: number): string {
  return `${id}}`;
}
