import { z } from 'zod';
import type { ChatServices } from '../../application/chat-app.js';
import { CLIENT_MSG_ID_MAX_LENGTH } from '../../application/ports/message-queue.js';
import { viewOfUser } from '../../application/views.js';
import { GROUP_NAME_MAX_LENGTH, USERNAME_MAX_LENGTH, type User, type UserId } from '../../domain/index.js';
import { MAX_ACK_IDS, wireTime, type OperationArgs, type OperationName, type OperationResult } from '../wire/index.js';

/** What an operation may touch beyond its arguments. */
export interface OperationContext {
  readonly services: ChatServices;
  readonly token: string | undefined;
  readonly peerIp: string;
  /**
   * Makes this connection receive the user's pushes under the session `token` names,
   * replacing any earlier attachment of it, and pushes their backlog; resolves with how many
   * deliveries the backlog held. Refuses (`SESSION_EXPIRED`, `USER_BANNED`) if the session
   * ended before the attachment could hear of its end.
   */
  attach(userId: UserId, token: string): Promise<number>;
  /** Stops this connection receiving pushes. */
  detach(): void;
}

/** The context of an operation that needs a session: the user the token belongs to. */
export interface UserContext extends OperationContext {
  readonly token: string;
  readonly user: User;
}

/**
 * Who may call an operation: anyone; a member, whose identity the connection may remember
 * while attached; or an admin, whose token is checked against storage on every call so that
 * a right taken away takes effect at once.
 */
export type Access = 'anyone' | 'member' | 'admin';

type Data = Record<string, unknown>;

/** Work handed to storage: the answer once it is durable. */
export interface Stored<R = Data> {
  readonly stored: Promise<R>;
}

/** An operation taking arguments `I` (`A` once its schema parsed them) and answering `R`. */
export type Operation<A, R = Data, I = unknown> =
  | {
      readonly access: 'anyone';
      /** Set on `login`: a kick of the connection's earlier session waits to see whether the new one began. */
      readonly replacesSession: boolean;
      readonly args: z.ZodType<A, I>;
      run(context: OperationContext, args: A): Promise<R>;
    }
  | { readonly access: 'member' | 'admin'; readonly pipelined?: false; readonly args: z.ZodType<A, I>; run(context: UserContext, args: A): Promise<R> }
  | {
      readonly access: 'member';
      /**
       * Takes the work's place in the order requests were read during the call (the delivery
       * service's lane keeps it), so the connection goes on to its next request at once;
       * `stored` settles once storage has committed it, or with the refusal.
       */
      readonly pipelined: true;
      readonly args: z.ZodType<A, I>;
      run(context: UserContext, args: A): Stored<R>;
    };

/** An operation anyone may call, logged in or not. */
function open<A, I, R>(args: z.ZodType<A, I>, run: (context: OperationContext, args: A) => Promise<R>, replacesSession = false): Operation<A, R, I> {
  return { access: 'anyone', replacesSession, args, run };
}

/** An operation that needs a live session token. */
function member<A, I, R>(args: z.ZodType<A, I>, run: (context: UserContext, args: A) => Promise<R>): Operation<A, R, I> {
  return { access: 'member', args, run };
}

/** A member's operation whose storage write may overlap the connection's next requests: sends and acks. */
function pipelined<A, I, R>(args: z.ZodType<A, I>, run: (context: UserContext, args: A) => Stored<R>): Operation<A, R, I> {
  return { access: 'member', pipelined: true, args, run };
}

/** An operation that needs the live session token of an admin (the service checks the right). */
function admin<A, I, R>(args: z.ZodType<A, I>, run: (context: UserContext, args: A) => Promise<R>): Operation<A, R, I> {
  return { access: 'admin', args, run };
}

// Lengths here only bound what is worth parsing; the domain gives the precise refusal.
const username = z.string().max(USERNAME_MAX_LENGTH * 4);
const password = z.string().max(4096);
const groupName = z.string().max(GROUP_NAME_MAX_LENGTH * 8);
const credentials = z.strictObject({ username, password });
const none = z.strictObject({});
/** The client's own id for a message, so that a retry of it stores nothing new. */
const clientMsgId = z.string().min(1).max(CLIENT_MSG_ID_MAX_LENGTH).optional();
/**
 * The ids of an `ack`: 1 to MAX_ACK_IDS, each a whole number from 1. Checked in one pass over
 * the list: zod's check per element (`z.int().min(1)`) cost 83 to 114 ns an id on an `ack` of
 * 100 ids, against 9 to 15 ns this way (ADR 0020, eleventh addendum); a refusal still names the
 * element.
 */
const deliveryIds = z
  .array(z.number())
  .min(1)
  .max(MAX_ACK_IDS)
  .superRefine((ids, context) => {
    for (let i = 0; i < ids.length; i++) {
      if (!Number.isSafeInteger(ids[i]) || ids[i]! < 1) context.addIssue({ code: 'custom', path: [i], message: 'a delivery id is a whole number from 1' });
    }
  });
/** A listing's page arguments; the service checks their range and gives the precise refusal. */
const page = { limit: z.int().optional(), cursor: z.string().max(64).optional() };
const paged = z.strictObject(page);

/**
 * The server's side of the protocol: each operation's schema takes what the wire types say
 * a client sends, and its answer is what they say it gets, or this does not compile.
 */
type Implementations = {
  readonly [Op in OperationName]: Operation<unknown, OperationResult<Op>, OperationArgs<Op>>;
};

/** Every operation the server understands, by wire name. */
export const OPERATIONS: Readonly<Record<string, Operation<unknown>>> = {
  register: open(credentials, async ({ services, peerIp }, { username, password }) => ({
    user: await services.accounts.register(username, password, peerIp),
  })),

  login: open(
    credentials,
    async (context, { username, password }) => {
      const result = await context.services.accounts.login(username, password, context.peerIp);
      const backlog = await context.attach(result.user.id, result.token);
      return { ...result, backlog };
    },
    true,
  ),

  logout: member(none, async (context) => {
    context.detach();
    await context.services.accounts.logout(context.token);
    return {};
  }),

  // Every connection of the user is kicked, this one too if it is attached; the answer's token replaces the old one.
  passwd: member(z.strictObject({ password, newPassword: password }), async ({ services, user, peerIp }, args) => ({
    ...(await services.accounts.changePassword(user, args.password, args.newPassword, peerIp)),
  })),

  // Every connection of the user is kicked, this one too if it is attached.
  unregister: member(z.strictObject({ password }), async ({ services, user, peerIp }, args) => ({
    user: await services.accounts.deleteOwnAccount(user, args.password, peerIp),
  })),

  // The answer to the server's `ping` event, and a liveness check a client may make itself.
  ping: open(none, () => Promise.resolve({})),

  whoami: member(none, async ({ user }) => ({ user: viewOfUser(user) })),

  attach: member(none, async (context) => {
    const backlog = await context.attach(context.user.id, context.token);
    return { user: viewOfUser(context.user), backlog };
  }),

  ack: pipelined(z.strictObject({ ids: deliveryIds }), ({ services, user }, { ids }) => ({
    stored: services.delivery.acknowledge(user.id, ids).then((answer) => ({ ...answer })),
  })),

  add: member(z.strictObject({ username }), async ({ services, user }, args) => ({
    friend: await services.friends.add(user, args.username),
  })),

  friends: member(paged, async ({ services, user }, args) => {
    const { items, nextCursor } = await services.friends.list(user, args);
    return { friends: items, nextCursor };
  }),

  newgroup: member(z.strictObject({ name: groupName }), async ({ services, user }, { name }) => ({
    group: await services.groups.create(user, name),
  })),

  delgroup: member(z.strictObject({ name: groupName, creator: username.optional() }), async ({ services, user }, named) => ({
    group: await services.groups.delete(user, named),
  })),

  addgroupuser: member(
    z.strictObject({ name: groupName, creator: username.optional(), username }),
    async ({ services, user }, { username: invited, ...named }) => ({ group: await services.groups.invite(user, named, invited) }),
  ),

  delgroupuser: member(
    z.strictObject({ name: groupName, creator: username.optional(), username }),
    async ({ services, user }, { username: kicked, ...named }) => ({ group: await services.groups.kick(user, named, kicked) }),
  ),

  groups: member(paged, async ({ services, user }, args) => {
    const { items, nextCursor } = await services.groups.list(user, args);
    return { groups: items, nextCursor };
  }),

  sendgroup: pipelined(z.strictObject({ group: z.int().min(1), text: z.string(), clientMsgId }), ({ services, user }, args) => ({
    stored: services.groups.submit(user, args.group, args.text, args.clientMsgId).stored.then((sent) => ({ ...sent, sentAt: wireTime(sent.sentAt) })),
  })),

  allusers: admin(z.strictObject({ online: z.boolean().default(false), ...page }), async ({ services, user }, { online, ...args }) => {
    const { items, nextCursor } = await services.admin.users(user, online, args);
    return { users: items, nextCursor };
  }),

  allgroup: admin(paged, async ({ services, user }, args) => {
    const { items, nextCursor } = await services.admin.allGroups(user, args);
    return { groups: items, nextCursor };
  }),

  adminsend: admin(z.strictObject({ to: username, text: z.string(), clientMsgId }), async ({ services, user }, args) => {
    const sent = await services.admin.sendToUser(user, args.to, args.text, args.clientMsgId);
    return { message: { ...sent, sentAt: wireTime(sent.sentAt) } };
  }),

  adminsendgroup: admin(z.strictObject({ name: groupName, creator: username, text: z.string(), clientMsgId }), async ({ services, user }, args) => {
    const sent = await services.admin.sendToGroup(user, args.name, args.creator, args.text, args.clientMsgId);
    return { message: { ...sent, sentAt: wireTime(sent.sentAt) } };
  }),

  blockuser: admin(z.strictObject({ username, force: z.boolean().default(false) }), async ({ services, user }, args) => ({
    user: await services.admin.banUser(user, args.username, args.force),
  })),

  unblockuser: admin(z.strictObject({ username }), async ({ services, user }, args) => ({ user: await services.admin.unbanUser(user, args.username) })),

  blockgroup: admin(z.strictObject({ name: groupName, creator: username }), async ({ services, user }, args) => ({
    group: await services.admin.banGroup(user, args.name, args.creator),
  })),

  resetpassword: admin(z.strictObject({ username }), async ({ services, user }, args) => ({ ...(await services.admin.resetPassword(user, args.username)) })),

  deluser: admin(z.strictObject({ username }), async ({ services, user }, args) => ({ user: await services.admin.deleteUser(user, args.username) })),

  unblockgroup: admin(z.strictObject({ name: groupName, creator: username }), async ({ services, user }, args) => ({
    group: await services.admin.unbanGroup(user, args.name, args.creator),
  })),

  send: pipelined(z.strictObject({ to: username, text: z.string(), clientMsgId }), ({ services, user }, { to, text, clientMsgId: id }) => ({
    stored: services.messaging.submitPrivate(user, to, text, id).stored.then((sent) => ({ message: { id: sent.id, to: sent.to, sentAt: wireTime(sent.sentAt) } })),
  })),
} satisfies Implementations as Record<string, Operation<unknown>>;
