import type { ChatMessage, NoticeTopic } from '../../domain/index.js';

/** A chat message or notice as it travels in a `message` event. Times are ISO 8601 strings. */
export type MessagePayload =
  | { kind: 'private'; from: string; fromAdmin: boolean; text: string; sentAt: string }
  | { kind: 'group'; from: string; fromAdmin: boolean; group: GroupPayload; text: string; sentAt: string }
  | { kind: 'notice'; topic: NoticeTopic; from: string | null; group: GroupPayload | null; text: string; sentAt: string };

export interface GroupPayload {
  id: number;
  name: string;
  creator: string;
}

export function toMessagePayload(message: ChatMessage): MessagePayload {
  const sentAt = message.sentAt.toISOString();
  const group = (ref: { id: number; name: string; creator: string } | null) =>
    ref && { id: ref.id, name: ref.name, creator: ref.creator };
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
