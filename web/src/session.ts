import type { MessagePayload, OperationArgs, OperationName, OperationResult, WireEvents, WireFriend, WireGroup, WireUser } from '../../interfaces/wire/operations.js';
import { Connection, WireFailure, isEvent, type PushedEvent } from './connection.js';
import { ConversationStore, type ConversationKey } from './conversations.js';

/** Where the token lives, so that a reload attaches again instead of asking for the password. */
const TOKEN_KEY = 'parley.token';
/** How long deliveries are gathered before one `ack` (as `chatctl listen` does). */
const ACK_DELAY_MS = 50;
/** Most ids in one `ack` request (`MAX_ACK_IDS`). */
const MAX_ACK_IDS = 1000;
/** Reconnect waits: 1 s, doubling, at most 30 s. */
const RETRY_FIRST_MS = 1000;
const RETRY_MOST_MS = 30_000;
/** Rows per listing page. */
const PAGE_SIZE = 100;
/** Kicks after which the token is no good: anything else (shutdown, too slow) attaches again. */
const FINAL_KICKS = new Set(['SESSION_REPLACED', 'LOGGED_OUT', 'USER_BANNED', 'PASSWORD_CHANGED', 'ACCOUNT_DELETED']);
/** Answers that mean "log in again". */
const SESSION_GONE = new Set(['SESSION_EXPIRED', 'TOKEN_EXPIRED', 'USER_BANNED', 'NOT_AUTHENTICATED']);

/** Whether the page is signed out, attached, or waiting to attach again. */
export type Status = 'signed-out' | 'connecting' | 'online' | 'reconnecting';

/** Something to tell the user: an error stays until dismissed or replaced. */
export interface Notice {
  readonly level: 'error' | 'info';
  readonly text: string;
}

/** What changed, so the page redraws only that. */
export type Change = 'status' | 'notice' | 'friends' | 'groups' | 'messages';

/**
 * The signed-in user's side of the conversation with the server: logging in or attaching
 * again with the kept token, the friend and group lists kept current by pushes, deliveries
 * into the conversation store and acknowledged once shown, reconnecting when the connection
 * drops. The page asks it to act and redraws on `onChange`.
 */
export class Session {
  store = new ConversationStore();
  readonly friends = new Map<string, WireFriend>();
  readonly groups = new Map<number, WireGroup>();
  me: WireUser | null = null;
  status: Status = 'signed-out';
  notice: Notice | null = null;

  private connection: Connection | null = null;
  private ackIds: number[] = [];
  private ackTimer: number | undefined;
  private retryTimer: number | undefined;
  private retryMs = RETRY_FIRST_MS;
  /** The notice of a lost connection, cleared once attached again. */
  private lostNotice: Notice | null = null;
  /** Why the server last kicked this page without ending the session (shutdown, too slow): said when it closes. */
  private kickMessage: string | null = null;

  constructor(
    private readonly url: string,
    private readonly storage: Storage,
    private readonly onChange: (change: Change, key?: ConversationKey) => void,
  ) {}

  /** Whether a token from an earlier load of the page is kept. */
  get hasToken(): boolean {
    return this.storage.getItem(TOKEN_KEY) !== null;
  }

  /** Registers an account, then logs in with it. */
  async register(username: string, password: string): Promise<void> {
    const connection = await this.connect();
    await connection.request('register', { username, password });
    await this.login(username, password);
  }

  /** Logs in: the server pushes the backlog before it answers. */
  async login(username: string, password: string): Promise<void> {
    this.setStatus('connecting');
    try {
      const connection = await this.connect();
      const { token, user } = await connection.request('login', { username, password });
      connection.token = token;
      this.storage.setItem(TOKEN_KEY, token);
      await this.signedIn(user);
    } catch (error) {
      if (this.status === 'connecting') this.setStatus('signed-out');
      throw error;
    }
  }

  /** Attaches again with the kept token (after a reload or a lost connection). */
  async attach(): Promise<void> {
    const token = this.storage.getItem(TOKEN_KEY);
    if (token === null) return;
    window.clearTimeout(this.retryTimer);
    if (this.status === 'signed-out') this.setStatus('connecting');
    try {
      const connection = await this.connect();
      connection.token = token;
      const { user } = await connection.request('attach', {});
      this.retryMs = RETRY_FIRST_MS;
      await this.signedIn(user);
    } catch (error) {
      const failure = error instanceof WireFailure ? error : new WireFailure('INTERNAL', String(error));
      if (SESSION_GONE.has(failure.code)) this.signOut({ level: 'error', text: `Please log in again: ${failure.message}.` });
      else this.retryLater(failure.message);
    }
  }

  /** Sends a request as the signed-in user; a refusal rejects with its WireFailure. */
  call<Op extends OperationName>(op: Op, args: OperationArgs<Op>): Promise<OperationResult<Op>> {
    if (!this.connection || this.status !== 'online') return Promise.reject(new WireFailure('CONNECTION_LOST', 'not connected to the server'));
    return this.connection.request(op, args);
  }

  /** Logs out: the token stops working everywhere. */
  async logout(): Promise<void> {
    try {
      await this.call('logout', {});
    } finally {
      this.signOut(null);
    }
  }

  /** Shows a notice (null clears it). */
  tell(notice: Notice | null): void {
    this.notice = notice;
    this.onChange('notice');
  }

  /** Keeps a friend or group the server answered with, so the lists show it at once. */
  remember(item: { friend: WireFriend } | { group: WireGroup }): void {
    if ('friend' in item) {
      this.friends.set(item.friend.username.toLowerCase(), item.friend);
      this.onChange('friends');
    } else {
      this.groups.set(item.group.id, item.group);
      this.onChange('groups');
    }
  }

  /** Forgets a group (deleted, or this user was removed from it). */
  forgetGroup(id: number): void {
    if (this.groups.delete(id)) this.onChange('groups');
  }

  /** Asks the server for every page of friends and groups again. */
  async refreshLists(): Promise<void> {
    const friends = await this.allPages((cursor) => this.call('friends', { limit: PAGE_SIZE, ...cursor }), (page) => page.friends);
    this.friends.clear();
    for (const friend of friends) this.friends.set(friend.username.toLowerCase(), friend);
    this.onChange('friends');
    const groups = await this.allPages((cursor) => this.call('groups', { limit: PAGE_SIZE, ...cursor }), (page) => page.groups);
    this.groups.clear();
    for (const group of groups) this.groups.set(group.id, group);
    this.onChange('groups');
  }

  private async allPages<Page extends { nextCursor: string | null }, Row>(
    fetch: (cursor: { cursor?: string }) => Promise<Page>,
    rows: (page: Page) => Row[],
  ): Promise<Row[]> {
    const all: Row[] = [];
    let cursor: string | null = null;
    do {
      const page: Page = await fetch(cursor === null ? {} : { cursor });
      all.push(...rows(page));
      cursor = page.nextCursor;
    } while (cursor !== null);
    return all;
  }

  private async signedIn(user: WireUser): Promise<void> {
    this.me = user;
    this.setStatus('online');
    if (this.ackIds.length > 0 && this.ackTimer === undefined) this.flushAcks();
    if (this.notice !== null && this.notice === this.lostNotice) this.tell(null);
    await this.refreshLists();
  }

  private async connect(): Promise<Connection> {
    const previous = this.connection;
    this.connection = null; // so that its close is not taken for a lost connection
    previous?.close();
    const connection = await Connection.open(this.url, {
      onEvent: (event) => this.pushed(event),
      onClose: (failure) => this.closed(connection, failure),
    });
    this.connection = connection;
    return connection;
  }

  private pushed(event: PushedEvent): void {
    if (isEvent(event, 'message') && typeof event.id === 'number') this.delivered(event.id, event.data);
    else if (isEvent(event, 'kicked')) this.kicked(event.data.reason, event.data.message);
    else if (isEvent(event, 'presence')) this.presence(event.data);
    else if (isEvent(event, 'group-presence')) this.groupPresence(event.data);
  }

  private delivered(id: number, message: MessagePayload): void {
    const key = this.store.receive(id, message);
    if (message.kind === 'notice') this.noticeArrived(message);
    if (key !== null) this.onChange('messages', key);
    this.ackIds.push(id); // a repeat is acknowledged again: harmless, and it stops the replays
    if (this.ackTimer === undefined) this.ackTimer = window.setTimeout(() => this.flushAcks(), ACK_DELAY_MS);
  }

  private noticeArrived(message: Extract<MessagePayload, { kind: 'notice' }>): void {
    this.tell({ level: 'info', text: message.text });
    if (message.topic === 'group-kicked' || message.topic === 'group-deleted') {
      if (message.group) this.forgetGroup(message.group.id);
    } else if (this.status === 'online') {
      this.refreshLists().catch(() => undefined); // a new friend or group: its row comes with the listing
    }
  }

  private flushAcks(): void {
    this.ackTimer = undefined;
    // A backlog comes before the login's answer, and so before the token that requests need:
    // what arrives then, or while the connection is down, waits here until `signedIn`.
    if (!this.connection?.token) return;
    const ids = this.ackIds.splice(0, MAX_ACK_IDS);
    if (ids.length === 0) return;
    // Lost acks are harmless: the server pushes those deliveries again at the next attach, and the store drops the repeats.
    this.connection.request('ack', { ids }).catch(() => undefined);
    if (this.ackIds.length > 0) this.ackTimer = window.setTimeout(() => this.flushAcks(), 0);
  }

  /** A friend came online or went offline. */
  private presence({ username, online }: WireEvents['presence']): void {
    const key = username.toLowerCase();
    const friend = this.friends.get(key);
    if (!friend) return;
    this.friends.set(key, { ...friend, online });
    this.onChange('friends');
  }

  /** A member of groups this user shares came or went: their online counts now. */
  private groupPresence({ groups }: WireEvents['group-presence']): void {
    for (const { id, online, total } of groups) {
      const group = this.groups.get(id);
      if (group) this.groups.set(id, { ...group, online, total });
    }
    this.onChange('groups');
  }

  private kicked(reason: string, message: string): void {
    if (FINAL_KICKS.has(reason)) {
      const why = reason === 'USER_BANNED' ? 'You were banned by an admin' : reason === 'SESSION_REPLACED' ? 'You logged in somewhere else' : message;
      this.signOut(reason === 'LOGGED_OUT' ? null : { level: 'error', text: `${why}: you are logged out.` });
    } else {
      this.kickMessage = message;
    }
  }

  private closed(connection: Connection, failure: WireFailure | null): void {
    if (connection !== this.connection) return;
    this.connection = null;
    const why = failure?.message ?? this.kickMessage ?? 'the connection to the server was lost';
    this.kickMessage = null;
    if (this.status === 'online') this.retryLater(why);
  }

  private retryLater(why: string): void {
    const seconds = Math.round(this.retryMs / 1000);
    this.setStatus('reconnecting');
    this.lostNotice = { level: 'error', text: `Connection lost (${why}); trying again in ${seconds} s.` };
    this.tell(this.lostNotice);
    window.clearTimeout(this.retryTimer);
    this.retryTimer = window.setTimeout(() => void this.attach(), this.retryMs);
    this.retryMs = Math.min(this.retryMs * 2, RETRY_MOST_MS);
  }

  private signOut(notice: Notice | null): void {
    this.storage.removeItem(TOKEN_KEY);
    window.clearTimeout(this.retryTimer);
    const connection = this.connection;
    this.connection = null;
    connection?.close();
    this.me = null;
    window.clearTimeout(this.ackTimer);
    this.ackTimer = undefined;
    this.ackIds = []; // what this user's page had not acknowledged comes again at their next login
    this.store = new ConversationStore(); // the next user of this page sees none of this one's messages
    this.friends.clear();
    this.groups.clear();
    this.retryMs = RETRY_FIRST_MS;
    this.setStatus('signed-out');
    this.tell(notice);
  }

  private setStatus(status: Status): void {
    this.status = status;
    this.onChange('status');
  }
}
