/**
 * The protocol's operations and events as plain wire types: what a client sends as `args`,
 * what an `ok` response carries as `data`, and what the server pushes. The server's
 * operation table (interfaces/session/operations.ts) is checked against `Operations` by the
 * compiler, and the client SDK types its requests from it, so the two cannot drift. Nothing
 * here imports the application or the domain: times are ISO 8601 strings, ids are numbers.
 */

/** Most ids one `ack` request may carry: the server refuses more, and clients split longer lists. */
export const MAX_ACK_IDS = 1000;

/** A user as the server shows them: never the password hash. */
export interface WireUser {
  readonly id: number;
  readonly username: string;
  readonly isAdmin: boolean;
  readonly banned: boolean;
}

/** A user in an admin's listing, or after a ban or unban. */
export interface WireUserListing {
  readonly username: string;
  readonly isAdmin: boolean;
  readonly banned: boolean;
  readonly online: boolean;
}

/** A friend, and whether they are online now. */
export interface WireFriend {
  readonly username: string;
  readonly isAdmin: boolean;
  readonly banned: boolean;
  readonly online: boolean;
}

/** A group as its members (and admins) see it: `online` and `total` count its members. */
export interface WireGroup {
  readonly id: number;
  readonly name: string;
  readonly creator: string;
  readonly online: number;
  readonly total: number;
  readonly banned: boolean;
}

/** A listing's page arguments: at most `limit` items, after `cursor` (a previous page's `nextCursor`). */
export interface PageArgs {
  readonly limit?: number;
  readonly cursor?: string;
}

/** Where the next page begins (pass it as `cursor`), or null after the last page. */
export type Paged = { readonly nextCursor: string | null };

/** How a group is named: its name, and its creator's name when the name alone is ambiguous. */
export interface GroupNameArgs {
  readonly name: string;
  readonly creator?: string;
}

export interface Credentials {
  readonly username: string;
  readonly password: string;
}

/** The client's own id for a message, so that a retry of it stores nothing new. */
export interface ClientMsgIdArg {
  readonly clientMsgId?: string;
}

/** A private message stored: the server's id for the delivery, the recipient and when it was sent. */
export interface SentReceipt {
  readonly id: number;
  readonly to: string;
  readonly sentAt: string;
}

/** A group message stored: for how many members, who was left out (their queue was full), and when. */
export interface GroupSentReceipt {
  readonly recipients: number;
  readonly queueFull: string[];
  readonly sentAt: string;
}

/** What the server did with acknowledged ids: `acknowledged` were removed now, `unknown` were not waiting. */
export interface AckResult {
  readonly acknowledged: number[];
  readonly unknown: number[];
}

type None = Record<string, never>;

/**
 * Every operation by wire name: its arguments and the data of its `ok` response. Adding an
 * operation to the server means adding its line here (the server does not compile otherwise).
 */
export interface Operations {
  register: { args: Credentials; result: { user: WireUser } };
  login: { args: Credentials; result: { user: WireUser; token: string; welcome: string; backlog: number } };
  logout: { args: None; result: None };
  ping: { args: None; result: None };
  whoami: { args: None; result: { user: WireUser } };
  attach: { args: None; result: { user: WireUser; backlog: number } };
  ack: { args: { ids: number[] }; result: AckResult };
  add: { args: { username: string }; result: { friend: WireFriend } };
  friends: { args: PageArgs; result: { friends: WireFriend[] } & Paged };
  newgroup: { args: { name: string }; result: { group: WireGroup } };
  delgroup: { args: GroupNameArgs; result: { group: WireGroup } };
  addgroupuser: { args: GroupNameArgs & { username: string }; result: { group: WireGroup } };
  delgroupuser: { args: GroupNameArgs & { username: string }; result: { group: WireGroup } };
  groups: { args: PageArgs; result: { groups: WireGroup[] } & Paged };
  send: { args: { to: string; text: string } & ClientMsgIdArg; result: { message: SentReceipt } };
  sendgroup: { args: { group: number; text: string } & ClientMsgIdArg; result: GroupSentReceipt & { group: WireGroup } };
  allusers: { args: PageArgs & { online?: boolean }; result: { users: WireUserListing[] } & Paged };
  allgroup: { args: PageArgs; result: { groups: WireGroup[] } & Paged };
  adminsend: { args: { to: string; text: string } & ClientMsgIdArg; result: { message: SentReceipt } };
  adminsendgroup: {
    args: { name: string; creator: string; text: string } & ClientMsgIdArg;
    result: { message: GroupSentReceipt & { group: WireGroup } };
  };
  blockuser: { args: { username: string; force?: boolean }; result: { user: WireUserListing } };
  unblockuser: { args: { username: string }; result: { user: WireUserListing } };
  blockgroup: { args: { name: string; creator: string }; result: { group: WireGroup } };
  unblockgroup: { args: { name: string; creator: string }; result: { group: WireGroup } };
  passwd: { args: { password: string; newPassword: string }; result: { user: WireUser; token: string } };
  unregister: { args: { password: string }; result: { user: WireUser } };
  resetpassword: { args: { username: string }; result: { user: WireUserListing; password: string } };
  deluser: { args: { username: string }; result: { user: WireUserListing } };
}

/** An operation's wire name. */
export type OperationName = keyof Operations;
/** What operation `Op` takes as `args`. */
export type OperationArgs<Op extends OperationName> = Operations[Op]['args'];
/** What an `ok` answer to operation `Op` carries as `data`. */
export type OperationResult<Op extends OperationName> = Operations[Op]['result'];

/** What a notice is about. */
export type NoticeTopic = 'friend-added' | 'group-invited' | 'group-kicked' | 'group-deleted';

/** A group as a message names it. */
export interface GroupPayload {
  id: number;
  name: string;
  creator: string;
}

/** A chat message or notice as it travels in a `message` event. Times are ISO 8601 strings. */
export type MessagePayload =
  | { kind: 'private'; from: string; fromAdmin: boolean; text: string; sentAt: string }
  | { kind: 'group'; from: string; fromAdmin: boolean; group: GroupPayload; text: string; sentAt: string }
  | { kind: 'notice'; topic: NoticeTopic; from: string | null; group: GroupPayload | null; text: string; sentAt: string };

/** Why the server ended a session. */
export type KickReason = 'SESSION_REPLACED' | 'LOGGED_OUT' | 'USER_BANNED' | 'PASSWORD_CHANGED' | 'ACCOUNT_DELETED' | 'SERVER_SHUTDOWN' | 'TOO_SLOW';

/** A group's online count, in a `group-presence` event. */
export interface GroupPresencePayload {
  id: number;
  name: string;
  online: number;
  total: number;
}

/**
 * Every event the server pushes, by name, with its `data`. A `message` event also carries an
 * `id` to acknowledge; `ping` asks for a `ping` request back. `presence` (a friend came online
 * or went offline) and `group-presence` (the online counts of groups shared with a member who
 * did) carry no `id`: they are not queued and not acknowledged.
 */
export interface WireEvents {
  message: MessagePayload;
  kicked: { reason: KickReason; message: string };
  ping: None;
  presence: { username: string; online: boolean };
  'group-presence': { groups: GroupPresencePayload[] };
}
