import type { ChatMessage } from '../../domain/index.js';
import type { GroupPayload, MessagePayload } from './operations.js';

export type { GroupPayload, MessagePayload } from './operations.js';

/** The payload of the `message` event that delivers `message`; the compiler checks the domain's notice topics are the wire's. */
export function toMessagePayload(message: ChatMessage): MessagePayload {
  const sentAt = message.sentAt.toISOString();
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

/** A message's payload as JSON, made once however many recipients a group message has. */
const payloadJson = new WeakMap<ChatMessage, string>();

/**
 * The `message` event that delivers `delivery`, already serialised: the same text as
 * `JSON.stringify(event('message', toMessagePayload(message), id))`, with the payload
 * serialised once per message rather than once per recipient.
 */
export function messageEventJson(id: number, message: ChatMessage): string {
  let data = payloadJson.get(message);
  if (data === undefined) payloadJson.set(message, (data = JSON.stringify(toMessagePayload(message))));
  return `{"type":"event","event":"message","data":${data},"id":${id}}`;
}
