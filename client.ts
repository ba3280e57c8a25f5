/** `parley/client`: talk to a parley server from Node. Loads no storage code. */
export {
  ChatClient,
  DEFAULT_CONNECT_TIMEOUT_MS,
  DEFAULT_PORT,
  DEFAULT_REQUEST_TIMEOUT_MS,
  type ChatClientOptions,
  type GroupSent,
  type NoArgsOperation,
  type ServerEvent,
} from './interfaces/client/chat-client.js';
export { ChatError, type ConnectionErrorCode } from './interfaces/client/chat-error.js';
export { sendOnce, type SendOperation } from './interfaces/client/client-message-id.js';
export {
  MAX_ACK_IDS,
  type AckResult,
  type ClientMsgIdArg,
  type Credentials,
  type GroupNameArgs,
  type GroupPayload,
  type GroupSentReceipt,
  type KickReason,
  type MessagePayload,
  type NoticeTopic,
  type OperationArgs,
  type OperationName,
  type OperationResult,
  type Operations,
  type PageArgs,
  type Paged,
  type SentReceipt,
  type WireEvents,
  type WireFriend,
  type WireGroup,
  type WireUser,
  type WireUserListing,
} from './interfaces/wire/operations.js';
