import type { MessagePayload } from '../wire/message-payload.js';
import { displayBody, displayName } from './display.js';
import { groupNotation } from './group-format.js';

function clock(iso: string): string {
  const at = new Date(iso);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${at.getFullYear()}-${pad(at.getMonth() + 1)}-${pad(at.getDate())} ${pad(at.getHours())}:${pad(at.getMinutes())}:${pad(at.getSeconds())}`;
}

/**
 * The one display line for every pushed message and notice: time, where (a group as
 * `team@alice`), who, what. A
 * multi-line body continues on indented lines (see displayBody), so only the server's own
 * header starts a line.
 */
export function formatMessage(message: MessagePayload): string {
  const at = `[${clock(message.sentAt)}]`;
  switch (message.kind) {
    case 'private':
      return `${at} ${message.fromAdmin ? '[system] ' : ''}${displayName(message.from)}: ${displayBody(message.text)}`;
    case 'group':
      return `${at} ${groupNotation(message.group)} ${message.fromAdmin ? '[system] ' : ''}${displayName(message.from)}: ${displayBody(message.text)}`;
    case 'notice':
      return `${at} * ${displayBody(message.text)}`;
  }
}
