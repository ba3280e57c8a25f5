/** `parley/client`: talk to a parley server from Node. Loads no storage code. */
export {
  ChatClient,
  ChatConnectionError,
  ChatRequestError,
  type ChatClientOptions,
  type ServerEvent,
} from './interfaces/client/chat-client.js';
export { sendOnce, type SendOperation } from './interfaces/client/client-message-id.js';
