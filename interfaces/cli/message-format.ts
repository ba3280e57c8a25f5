import type { MessagePayload } from '../wire/message-payload.js';

function clock(iso: string): string {
  const at = new Date(iso);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${at.getFullYear()}-${pad(at.getMonth() + 1)}-${pad(at.getDate())} ${pad(at.getHours())}:${pad(at.getMinutes())}:${pad(at.getSeconds())}`;
}

/** The one display line for every pushed message and notice: time, where, who, what. */
export function formatMessage(message: MessagePayload): string {
  const at = `[${clock(message.sentAt)}]`;
  switch (message.kind) {
    case 'private':
      return `${at} ${message.fromAdmin ? '[system] ' : ''}${message.from}: ${message.text}`;
    case 'group':
      return `${at} [${message.group.name}@${message.group.creator}] ${message.fromAdmin ? '[system] ' : ''}${message.from}: ${message.text}`;
    case 'notice':
      return `${at} * ${message.text}`;
  }
}
