import { EventEmitter, on } from 'node:events';
import { connect, type Socket } from 'node:net';
import { connect as connectTls, type ConnectionOptions } from 'node:tls';
import { parseServerMessage, type Event, type Response } from '../wire/envelope.js';
import { DEFAULT_MAX_PAYLOAD_BYTES, encodeFrame, FrameDecoder } from '../wire/frame.js';
import {
  MAX_ACK_IDS,
  type AckResult,
  type GroupNameArgs,
  type MessagePayload,
  type OperationArgs,
  type OperationName,
  type OperationResult,
  type PageArgs,
  type WireEvents,
} from '../wire/operations.js';
import { WireError } from '../wire/wire-error.js';
import { ChatError } from './chat-error.js';
import { DEFAULT_CONNECT_TIMEOUT_MS, DEFAULT_PORT, DEFAULT_REQUEST_TIMEOUT_MS } from './client-defaults.js';

export { DEFAULT_CONNECT_TIMEOUT_MS, DEFAULT_PORT, DEFAULT_REQUEST_TIMEOUT_MS };

/** How long `close` waits for the server to close its side before it cuts the connection. */
const CLOSE_GRACE_MS = 1000;
const SEEN_IDS_KEPT = 10_000;

/**
 * What the server pushes: a message or notice to acknowledge by `id`, the end of the session,
 * a friend coming online or going offline (`presence`), or new online counts of the user's
 * groups (`group-presence`); the last two are not acknowledged.
 */
export type ServerEvent =
  | { readonly type: 'message'; readonly id: number; readonly message: MessagePayload }
  | ({ readonly type: 'kicked' } & WireEvents['kicked'])
  | ({ readonly type: 'presence' } & WireEvents['presence'])
  | ({ readonly type: 'group-presence' } & WireEvents['group-presence']);

/** The operations that take no arguments (`request(op)` may leave them out). */
export type NoArgsOperation = { [Op in OperationName]: Record<never, never> extends OperationArgs<Op> ? Op : never }[OperationName];

/** A group message's answer: the group as it is now, and how many members it was stored for. */
export type GroupSent = OperationResult<'sendgroup'>;

export interface ChatClientOptions {
  readonly host?: string;
  readonly port?: number;
  /** Sent with every request; a successful `login` sets it, `logout` clears it. */
  readonly token?: string;
  /** Speak TLS; an object holds node:tls options such as `ca` (a private CA) or `servername`. */
  readonly tls?: boolean | ConnectionOptions;
  /** How long connecting (TLS handshake included) may take; DEFAULT_CONNECT_TIMEOUT_MS. */
  readonly connectTimeoutMs?: number;
  /**
   * How long a request may wait for its response, and the server may stay silent before it
   * is pinged; past it the connection is cut and every request waiting on it rejects with
   * TIMEOUT. DEFAULT_REQUEST_TIMEOUT_MS.
   */
  readonly requestTimeoutMs?: number;
  readonly maxPayloadBytes?: number;
}

interface Pending {
  resolve(data: Record<string, unknown>): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

/**
 * A typed client for the parley protocol: requests with correlation ids (several may be in
 * flight), pushed events as an async iterator or `on('event')`, duplicates dropped by id.
 * It answers the server's pings itself, and pings a server that has been silent for the
 * request timeout, so a frozen or vanished server ends the connection instead of hanging it.
 */
export class ChatClient extends EventEmitter<{ event: [ServerEvent]; close: [] }> {
  token: string | undefined;
  private readonly pending = new Map<number, Pending>();
  /** Delivery ids already passed on, oldest first; bounded, since ids only grow. */
  private readonly seen = new Set<number>();
  private readonly decoder: FrameDecoder;
  private nextId = 1;
  private closedBy: ChatError | undefined;
  private heard = false;
  private readonly requestTimeoutMs: number;
  /** Pings the server once it has been silent for the request timeout; restarted by every read. */
  private readonly silence: NodeJS.Timeout;

  private constructor(
    private readonly socket: Socket,
    options: ChatClientOptions,
  ) {
    super();
    this.token = options.token;
    this.decoder = new FrameDecoder(options.maxPayloadBytes ?? DEFAULT_MAX_PAYLOAD_BYTES);
    this.requestTimeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    this.silence = setInterval(() => this.ping(), this.requestTimeoutMs).unref();
    socket.on('data', (chunk) => this.receive(chunk));
    socket.on('error', (error) => this.fail(ChatError.connection('CLOSED', `connection lost: ${error.message}`)));
    socket.on('close', () => {
      clearInterval(this.silence);
      // A TLS server drops a plain client without a word; say what may be wrong.
      const hint = this.heard || options.tls ? '' : ' before answering (if it serves TLS, connect with TLS)';
      this.fail(ChatError.connection('CLOSED', `the server closed the connection${hint}`));
      this.emit('close');
    });
  }

  /**
   * Connects, over TLS if `options.tls` says so; rejects with a ChatError of status `connection` and code UNREACHABLE
   * if nothing listens, TLS if the handshake fails (a certificate that does not verify), or
   * TIMEOUT if the connection is not made within the connect timeout.
   */
  static connect(options: ChatClientOptions = {}): Promise<ChatClient> {
    const host = options.host ?? '127.0.0.1';
    const port = options.port ?? DEFAULT_PORT;
    const timeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
    return new Promise((resolve, reject) => {
      const socket = options.tls
        ? connectTls({ ...(options.tls === true ? {} : options.tls), host, port })
        : connect({ host, port });
      const ready = options.tls ? 'secureConnect' : 'connect';
      let reached = false;
      socket.once('connect', () => (reached = true));
      const timer = setTimeout(() => {
        socket.destroy();
        reject(ChatError.connection('TIMEOUT', `no answer from ${host}:${port} in ${timeoutMs / 1000} s`));
      }, timeoutMs);
      const failed = (error: Error) => {
        clearTimeout(timer);
        socket.destroy();
        reject(
          reached && options.tls
            ? ChatError.connection('TLS', `TLS with ${host}:${port} failed: ${error.message} (a server without TLS, or a certificate not signed by the CA given?)`)
            : ChatError.connection('UNREACHABLE', `cannot reach the server at ${host}:${port} (${error.message})`),
        );
      };
      socket.on('error', failed);
      socket.once(ready, () => {
        clearTimeout(timer);
        socket.off('error', failed);
        socket.setNoDelay(true);
        resolve(new ChatClient(socket, options));
      });
    });
  }

  /** Why the connection ended, once it has. */
  get closeReason(): ChatError | undefined {
    return this.closedBy;
  }

  /**
   * Sends one request with the current token; resolves with the `ok` answer's data, typed by
   * operation, or rejects with a ChatError. A successful `login` stores its token for the
   * requests after it, and `logout` forgets it.
   */
  request<Op extends NoArgsOperation>(op: Op): Promise<OperationResult<Op>>;
  request<Op extends OperationName>(op: Op, args: OperationArgs<Op>): Promise<OperationResult<Op>>;
  async request<Op extends OperationName>(op: Op, args: OperationArgs<Op> | Record<string, never> = {}): Promise<OperationResult<Op>> {
    const token = this.token;
    const result = (await this.call(op, args, token)) as OperationResult<Op>;
    if (op === 'login') this.token = (result as OperationResult<'login'>).token;
    // A login made meanwhile keeps its new token.
    else if (op === 'logout' && this.token === token) this.token = undefined;
    return result;
  }

  private call(op: string, args: object, token: string | undefined): Promise<Record<string, unknown>> {
    if (this.closedBy) return Promise.reject(this.closedBy);
    const id = this.nextId++;
    const frame = encodeFrame({ type: 'request', id, op, ...(token ? { token } : {}), args });
    return new Promise((resolve, reject) => {
      // A server that does not answer in time is taken for frozen or gone: waiting on its socket
      // (even for a FIN) could last for ever, so the connection is cut.
      const timer = setTimeout(() => {
        this.fail(ChatError.connection('TIMEOUT', `the server did not answer "${op}" within ${this.requestTimeoutMs / 1000} s; gave up`));
        this.socket.destroy();
      }, this.requestTimeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      this.socket.write(frame);
    });
  }

  /** Pings the server, as its `ping` event asks or after a silence; any answer, even a refusal, is a sign of life. */
  private ping(): void {
    this.call('ping', {}, undefined).catch(() => undefined);
  }

  /** Makes an account; log in to use it. */
  register(username: string, password: string): Promise<OperationResult<'register'>> {
    return this.request('register', { username, password });
  }

  /**
   * Logs in, keeping the token for the next requests, and attaches this connection: the
   * backlog and later messages arrive as `events()`. Any other session of the user ends.
   */
  login(username: string, password: string): Promise<OperationResult<'login'>> {
    return this.request('login', { username, password });
  }

  /** Ends the session; the token stops working everywhere. */
  async logout(): Promise<void> {
    await this.request('logout');
  }

  /** The user this client's token belongs to. */
  async whoami(): Promise<OperationResult<'whoami'>['user']> {
    return (await this.request('whoami')).user;
  }

  /**
   * Makes this connection receive the user's messages (for a client given a `token` rather
   * than logging in); resolves with how many waited.
   */
  attach(): Promise<OperationResult<'attach'>> {
    return this.request('attach');
  }

  /** Makes `username` and this user friends, both ways; friends may message each other. */
  async add(username: string): Promise<OperationResult<'add'>['friend']> {
    return (await this.request('add', { username })).friend;
  }

  /** One page of friends, and where the next page begins (`nextCursor`, null after the last). */
  friends(page: PageArgs = {}): Promise<OperationResult<'friends'>> {
    return this.request('friends', page);
  }

  /** One page of the groups this user is in. */
  groups(page: PageArgs = {}): Promise<OperationResult<'groups'>> {
    return this.request('groups', page);
  }

  /** Makes a group with this user as its creator and first member. */
  async createGroup(name: string): Promise<OperationResult<'newgroup'>['group']> {
    return (await this.request('newgroup', { name })).group;
  }

  /** Deletes a group this user created (`creator` names the group when `name` alone is ambiguous). */
  async deleteGroup(group: GroupNameArgs): Promise<OperationResult<'delgroup'>['group']> {
    return (await this.request('delgroup', group)).group;
  }

  /** Adds `username` to a group. */
  async invite(group: GroupNameArgs, username: string): Promise<OperationResult<'addgroupuser'>['group']> {
    return (await this.request('addgroupuser', { ...group, username })).group;
  }

  /** Removes `username` from a group. */
  async kick(group: GroupNameArgs, username: string): Promise<OperationResult<'delgroupuser'>['group']> {
    return (await this.request('delgroupuser', { ...group, username })).group;
  }

  /**
   * Sends a private message to a friend; resolves once it is stored, with its receipt.
   * `clientMsgId` makes a retry store nothing new (see `sendOnce`).
   */
  async send(to: string, text: string, clientMsgId?: string): Promise<OperationResult<'send'>['message']> {
    return (await this.request('send', { to, text, ...(clientMsgId === undefined ? {} : { clientMsgId }) })).message;
  }

  /** Sends a message to a group by its id (from `groups()`); resolves once it is stored. */
  sendGroup(groupId: number, text: string, clientMsgId?: string): Promise<GroupSent> {
    return this.request('sendgroup', { group: groupId, text, ...(clientMsgId === undefined ? {} : { clientMsgId }) });
  }

  /** Admin: one page of every user, or of those online. */
  allUsers(page: PageArgs & { online?: boolean } = {}): Promise<OperationResult<'allusers'>> {
    return this.request('allusers', page);
  }

  /** Admin: one page of every group. */
  allGroups(page: PageArgs = {}): Promise<OperationResult<'allgroup'>> {
    return this.request('allgroup', page);
  }

  /** Admin: a message to any user, friend or not. */
  async adminSend(to: string, text: string, clientMsgId?: string): Promise<OperationResult<'adminsend'>['message']> {
    return (await this.request('adminsend', { to, text, ...(clientMsgId === undefined ? {} : { clientMsgId }) })).message;
  }

  /** Admin: a message to any group, named by its name and creator. */
  async adminSendGroup(group: Required<GroupNameArgs>, text: string, clientMsgId?: string): Promise<OperationResult<'adminsendgroup'>['message']> {
    return (await this.request('adminsendgroup', { ...group, text, ...(clientMsgId === undefined ? {} : { clientMsgId }) })).message;
  }

  /** Admin: bans a user and ends their session; `force` bans an admin too. */
  async banUser(username: string, force = false): Promise<OperationResult<'blockuser'>['user']> {
    return (await this.request('blockuser', { username, force })).user;
  }

  /** Admin: lifts a user's ban. */
  async unbanUser(username: string): Promise<OperationResult<'unblockuser'>['user']> {
    return (await this.request('unblockuser', { username })).user;
  }

  /** Admin: bans a group: nobody can send to it. */
  banGroup(group: Required<GroupNameArgs>): Promise<OperationResult<'blockgroup'>> {
    return this.request('blockgroup', group);
  }

  /** Admin: lifts a group's ban. */
  unbanGroup(group: Required<GroupNameArgs>): Promise<OperationResult<'unblockgroup'>> {
    return this.request('unblockgroup', group);
  }

  /**
   * Tells the server these deliveries arrived, so it stops keeping them; safe to repeat, since
   * an id already removed comes back as unknown. Splits the ids into requests the protocol allows.
   */
  async ack(ids: readonly number[]): Promise<AckResult> {
    const batches: number[][] = [];
    for (let start = 0; start < ids.length; start += MAX_ACK_IDS) batches.push(ids.slice(start, start + MAX_ACK_IDS));
    const answers = await Promise.all(batches.map((batch) => this.ackBatch(batch)));
    return { acknowledged: answers.flatMap((a) => a.acknowledged), unknown: answers.flatMap((a) => a.unknown) };
  }

  private async ackBatch(ids: number[]): Promise<AckResult> {
    let answer: Partial<AckResult>;
    try {
      answer = await this.request('ack', { ids });
    } catch (error) {
      // A server from before idempotent acks refuses the whole batch, removing nothing, if one id is unknown.
      const refused = error instanceof ChatError && error.code === 'UNKNOWN_MESSAGE' ? error.data?.ids : undefined;
      if (!Array.isArray(refused)) throw error;
      const unknown = new Set(refused);
      const rest = ids.filter((id) => !unknown.has(id));
      if (rest.length === ids.length) throw error;
      const retried = rest.length > 0 ? await this.ackBatch(rest) : { acknowledged: [], unknown: [] };
      return { acknowledged: retried.acknowledged, unknown: [...ids.filter((id) => unknown.has(id)), ...retried.unknown] };
    }
    const acknowledged = answer.acknowledged ?? [];
    // An older server answers only `acknowledged`: whatever it did not name was not waiting.
    const removed = new Set(acknowledged);
    return { acknowledged, unknown: answer.unknown ?? ids.filter((id) => !removed.has(id)) };
  }

  /** Pushed events until the connection closes, buffered from this call on: call it before `attach` or `login`. */
  events(): AsyncIterable<ServerEvent> {
    const source = on(this, 'event', { close: ['close'] });
    return {
      async *[Symbol.asyncIterator]() {
        for await (const [serverEvent] of source) yield serverEvent as ServerEvent;
      },
    };
  }

  /**
   * Ends the connection; requests still waiting, and any made from now on, reject with CLOSED.
   * A server that does not close its side within a second is cut off.
   */
  close(): Promise<void> {
    this.fail(ChatError.connection('CLOSED', 'the connection was closed by this client'));
    return new Promise((resolve) => {
      if (this.socket.destroyed) return resolve();
      const cut = setTimeout(() => this.socket.destroy(), CLOSE_GRACE_MS);
      this.socket.once('close', () => {
        clearTimeout(cut);
        resolve();
      });
      this.socket.end();
    });
  }

  private receive(chunk: Buffer): void {
    this.heard = true;
    this.silence.refresh();
    for (const frame of this.decoder.push(chunk)) {
      if ('error' in frame) return this.protocolError(frame.error.message);
      let message: Response | Event;
      try {
        message = parseServerMessage(frame.payload);
      } catch (error) {
        if (error instanceof WireError) return this.protocolError(error.message);
        throw error;
      }
      if (message.type === 'response') this.settle(message);
      else this.dispatch(message);
    }
  }

  private settle(response: Response): void {
    const pending = typeof response.id === 'number' ? this.pending.get(response.id) : undefined;
    if (!pending) {
      if (response.status !== 'ok') this.protocolError(`the server said: ${response.message} (${response.code})`);
      return;
    }
    this.pending.delete(response.id as number);
    clearTimeout(pending.timer);
    if (response.status === 'ok') pending.resolve(response.data);
    else pending.reject(new ChatError(response.status, response.code, response.message, response.data));
  }

  /** Events of a type this client does not know are ignored, as the protocol asks. */
  private dispatch(serverEvent: Event): void {
    if (serverEvent.event === 'ping') return this.ping();
    if (serverEvent.event === 'kicked') {
      const { reason, message } = serverEvent.data as WireEvents['kicked'];
      this.emit('event', { type: 'kicked', reason, message });
      return;
    }
    if (serverEvent.event === 'presence') {
      const { username, online } = serverEvent.data as WireEvents['presence'];
      this.emit('event', { type: 'presence', username, online });
      return;
    }
    if (serverEvent.event === 'group-presence') {
      const { groups } = serverEvent.data as WireEvents['group-presence'];
      this.emit('event', { type: 'group-presence', groups });
      return;
    }
    if (serverEvent.event !== 'message' || serverEvent.id === undefined) return;
    if (this.seen.has(serverEvent.id)) return;
    this.seen.add(serverEvent.id);
    if (this.seen.size > SEEN_IDS_KEPT) this.seen.delete(this.seen.values().next().value!);
    this.emit('event', { type: 'message', id: serverEvent.id, message: serverEvent.data as unknown as MessagePayload });
  }

  private protocolError(detail: string): void {
    this.fail(ChatError.connection('PROTOCOL', `protocol error: ${detail}`));
    this.socket.destroy();
  }

  private fail(error: ChatError): void {
    this.closedBy ??= error;
    for (const [id, pending] of this.pending) {
      clearTimeout(pending.timer);
      pending.reject(this.closedBy);
      this.pending.delete(id);
    }
  }
}
