import { randomUUID } from 'node:crypto';
import type { ClientMsgIdArg } from '../wire/operations.js';
import { ChatError } from './chat-error.js';

/** The operations that store a message and take a `clientMsgId`. */
export type SendOperation = 'send' | 'sendgroup' | 'adminsend' | 'adminsendgroup';

/**
 * Runs a send under a client message id (a fresh UUID unless `args` has one) and, if the
 * connection was lost or timed out before the answer, once more with the same id. The server
 * answers a repeat with the first send's result and stores nothing new, so the message is
 * stored once whether or not the first attempt got through. `attempt` runs the request; on
 * the retry (`again`) it must use a new connection, since the first is gone.
 */
export async function sendOnce<A extends ClientMsgIdArg, T>(args: A, attempt: (args: A & Required<ClientMsgIdArg>, again: boolean) => Promise<T>): Promise<T> {
  const withId = { ...args, clientMsgId: args.clientMsgId ?? randomUUID() };
  try {
    return await attempt(withId, false);
  } catch (error) {
    if (!(error instanceof ChatError && error.connectionLost)) throw error;
    return attempt(withId, true);
  }
}
