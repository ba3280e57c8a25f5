import { randomUUID } from 'node:crypto';
import { ChatConnectionError } from './chat-client.js';

/** The operations that store a message and take a `clientMsgId`. */
export type SendOperation = 'send' | 'sendgroup' | 'adminsend' | 'adminsendgroup';

/**
 * Runs a send under a client message id (a fresh UUID unless `args` has one) and, if the
 * connection was lost or timed out before the answer, once more with the same id. The server
 * answers a repeat with the first send's result and stores nothing new, so the message is
 * stored once whether or not the first attempt got through. `attempt` runs the request; on
 * the retry (`again`) it must use a new connection, since the first is gone.
 */
export async function sendOnce<T>(
  args: Readonly<Record<string, unknown>>,
  attempt: (args: Readonly<Record<string, unknown>>, again: boolean) => Promise<T>,
): Promise<T> {
  const withId = { ...args, clientMsgId: typeof args.clientMsgId === 'string' ? args.clientMsgId : randomUUID() };
  try {
    return await attempt(withId, false);
  } catch (error) {
    if (!(error instanceof ChatConnectionError && (error.code === 'CLOSED' || error.code === 'TIMEOUT'))) throw error;
    return attempt(withId, true);
  }
}
