/**
 * The benchmark's floor: a relay that speaks parley's framing and envelopes but keeps
 * nothing and checks nothing, so the difference to parley is what auth, storage and the
 * layers cost. `node dist/bench/floor-relay.js --port 0` logs `{"msg":"listening","port":N}`
 * on stderr, as `chatctl serve` does. Output is gathered per socket and written once per
 * event-loop turn, in one buffer; a group message is serialised once for all its recipients.
 *
 * With `--db <file>` it is the durable floor: every delivery is stored in parley's own SQLite
 * queue before `ok` and the push, and removed on `ack` (see DurableQueue), so the difference
 * to parley is what parley's application adds to the framing and the storage.
 */
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { DEFAULT_MAX_QUEUED_PER_USER } from '../application/delivery-service.js';
import { DomainError, type ChatMessage, type Correspondent, type MessageId, type User, type Username } from '../domain/index.js';
import { openStorage, type Storage } from '../infrastructure/storage.js';
import { FrameBatch, FrameDecoder, SharedJson } from '../interfaces/wire/frame.js';

type Data = Record<string, unknown>;
/** A request's id as echoed in its answer. */
type RequestId = number | string | null;

interface Request {
  type?: unknown;
  id?: unknown;
  op?: unknown;
  token?: unknown;
  args?: Data;
}

interface Group {
  readonly id: number;
  readonly name: string;
  readonly creator: string;
  readonly members: Set<string>;
}

class Refusal extends Error {
  constructor(
    readonly status: 'fail' | 'error',
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** Frames waiting for each socket until the end of this event-loop turn, framed into one buffer as parley's transport does. */
class Outbox {
  private readonly waiting = new Map<Socket, FrameBatch>();
  private scheduled = false;

  send(socket: Socket, payload: object): void {
    this.batchOf(socket).add(JSON.stringify(payload));
  }

  /** A payload already serialised, as a head many share and this frame's tail. */
  sendShared(socket: Socket, head: SharedJson, tail: string): void {
    this.batchOf(socket).addShared(head, tail);
  }

  private batchOf(socket: Socket): FrameBatch {
    let batch = this.waiting.get(socket);
    if (!batch) this.waiting.set(socket, (batch = new FrameBatch()));
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
    return batch;
  }

  private flush(): void {
    this.scheduled = false;
    for (const [socket, batch] of this.waiting) {
      if (!socket.destroyed) socket.write(batch.take());
    }
    this.waiting.clear();
  }
}

/**
 * The durable floor's storage: parley's own (`openStorage`, so the SQLite writer, group commit
 * and group log the server uses, on a file with its pragmas: WAL, `synchronous=FULL`), with
 * the recipients' quota parley applies by default. A user's row is made when the floor first
 * hears the name (no password: the floor checks none); a group's when it is created.
 */
class DurableQueue {
  private readonly users = new Map<string, Promise<User>>();
  private readonly known = new Map<string, Correspondent>();

  private constructor(private readonly storage: Storage) {}

  static async open(file: string): Promise<DurableQueue> {
    return new DurableQueue(await openStorage(`sqlite:${file}`));
  }

  /** Makes the user's row once; later sends name them without waiting. */
  enrol(username: string): Promise<void> {
    let user = this.users.get(username);
    if (!user) {
      user = this.storage.repositories.users.add({ username: username as Username, passwordHash: '-', createdAt: new Date() });
      this.users.set(username, user);
      void user.then(({ id }) => this.known.set(username, { id, username: username as Username }), () => this.users.delete(username));
    }
    return user.then(() => undefined);
  }

  correspondent(username: string): Correspondent {
    const known = this.known.get(username);
    if (!known) throw new Refusal('fail', 'UNKNOWN_USER', `no user "${username}"`);
    return known;
  }

  async createGroup(name: string, creator: string): Promise<number> {
    return (await this.storage.repositories.groups.create({ name, creatorId: this.correspondent(creator).id, createdAt: new Date() })).id;
  }

  /** Stores one message for the recipients, durably; resolves with each one's delivery id, in order (none for one whose queue is full). */
  async store(message: ChatMessage, recipients: readonly string[]): Promise<(MessageId | undefined)[]> {
    const deliveries = recipients.map((name) => ({ recipientId: this.correspondent(name).id, message }));
    const { queued, full } = await this.storage.repositories.messages.send({ deliveries, maxQueued: DEFAULT_MAX_QUEUED_PER_USER, sentAt: message.sentAt });
    // In the order given, less those whose queue was full.
    if (full.length === 0) return queued.map((delivery) => delivery.id);
    const idOf = new Map(queued.map((delivery) => [delivery.recipientId, delivery.id]));
    return deliveries.map((delivery) => idOf.get(delivery.recipientId));
  }

  async acknowledge(username: string, ids: readonly MessageId[]): Promise<Data> {
    const acknowledged = await this.storage.repositories.messages.acknowledge(this.correspondent(username).id, ids);
    const removed = new Set(acknowledged);
    return { acknowledged, unknown: ids.filter((id) => !removed.has(id)) };
  }

  close(): Promise<void> {
    return this.storage.close();
  }
}

class FloorRelay {
  private readonly outbox = new Outbox();
  private readonly socketsOf = new Map<string, Set<Socket>>();
  private readonly userOf = new Map<Socket, string>();
  private readonly groups = new Map<number, Group>();
  private nextMessageId = 1;
  private nextGroupId = 1;

  constructor(private readonly durable?: DurableQueue) {}

  accept(socket: Socket): void {
    const decoder = new FrameDecoder();
    socket.setNoDelay(true);
    socket.on('data', (chunk) => {
      for (const frame of decoder.push(chunk)) {
        if ('error' in frame) {
          this.outbox.send(socket, { type: 'response', id: null, status: 'error', code: frame.error.code, message: frame.error.message });
          if (frame.error.fatal) socket.end();
        } else {
          this.handle(socket, frame.payload as Request);
        }
      }
    });
    socket.on('error', () => undefined);
    socket.on('close', () => this.forget(socket));
  }

  private handle(socket: Socket, request: Request): void {
    const id = typeof request.id === 'number' || typeof request.id === 'string' ? request.id : null;
    try {
      const data = this.run(socket, String(request.op), request.args ?? {}, typeof request.token === 'string' ? request.token : undefined);
      // Closures only for an answer that waits for storage: the plain floor's path allocates none.
      if (data instanceof Promise) data.then((stored) => this.answer(socket, id, stored), (error: unknown) => this.refuse(socket, id, error));
      else this.answer(socket, id, data);
    } catch (error) {
      if (!(error instanceof Refusal)) throw error;
      this.refuse(socket, id, error);
    }
  }

  private answer(socket: Socket, id: RequestId, data: Data): void {
    this.outbox.send(socket, { type: 'response', id, status: 'ok', data });
  }

  /** Storage refuses with a DomainError (its code, as parley answers it); anything else is the floor's own fault. */
  private refuse(socket: Socket, id: RequestId, error: unknown): void {
    const { status, code, message } =
      error instanceof Refusal ? error : error instanceof DomainError ? { status: 'fail', code: error.code, message: error.message } : { status: 'error', code: 'INTERNAL', message: String(error) };
    this.outbox.send(socket, { type: 'response', id, status, code, message });
  }

  /** The answer's data; a promise of it on the durable floor when storage is written first. */
  private run(socket: Socket, op: string, args: Data, token: string | undefined): Data | Promise<Data> {
    const { durable } = this;
    switch (op) {
      case 'register': {
        const data = { user: { username: String(args.username) } };
        return durable ? durable.enrol(String(args.username)).then(() => data) : data;
      }
      case 'login': {
        const data = { token: this.bind(socket, String(args.username)), user: { username: args.username }, backlog: 0 };
        return durable ? durable.enrol(String(args.username)).then(() => data) : data;
      }
      case 'attach':
        return { user: { username: this.bind(socket, this.caller(socket, token)) }, backlog: 0 };
      case 'ack': {
        const ids = Array.isArray(args.ids) ? (args.ids as MessageId[]) : [];
        return durable ? durable.acknowledge(this.caller(socket, token), ids) : { acknowledged: ids, unknown: [] };
      }
      case 'add':
        return { friend: { username: args.username, online: this.socketsOf.has(String(args.username)) } };
      case 'newgroup': {
        const [name, creator] = [String(args.name), this.caller(socket, token)];
        if (!durable) return { group: this.createGroup(this.nextGroupId++, name, creator) };
        return durable.createGroup(name, creator).then((groupId) => ({ group: this.createGroup(groupId, name, creator) }));
      }
      case 'addgroupuser':
        return { group: this.invite(String(args.name), String(args.username)) };
      case 'send':
        return this.sendPrivate(this.caller(socket, token), String(args.to), String(args.text));
      case 'sendgroup':
        return this.sendGroup(this.caller(socket, token), Number(args.group), String(args.text));
      default:
        throw new Refusal('error', 'UNKNOWN_OPERATION', `unknown operation "${op}"`);
    }
  }

  /** The floor's token is the username itself: there is no auth to measure. */
  private bind(socket: Socket, username: string): string {
    this.forget(socket);
    this.userOf.set(socket, username);
    const sockets = this.socketsOf.get(username);
    if (sockets) sockets.add(socket);
    else this.socketsOf.set(username, new Set([socket]));
    return username;
  }

  private forget(socket: Socket): void {
    const username = this.userOf.get(socket);
    if (username === undefined) return;
    this.userOf.delete(socket);
    const sockets = this.socketsOf.get(username);
    sockets?.delete(socket);
    if (sockets?.size === 0) this.socketsOf.delete(username);
  }

  private caller(socket: Socket, token: string | undefined): string {
    const username = this.userOf.get(socket) ?? token;
    if (username === undefined) throw new Refusal('fail', 'NOT_AUTHENTICATED', 'log in first');
    return username;
  }

  private createGroup(id: number, name: string, creator: string): Data {
    const group: Group = { id, name, creator, members: new Set([creator]) };
    this.groups.set(group.id, group);
    return { id: group.id, name, creator };
  }

  private invite(name: string, username: string): Data {
    const group = [...this.groups.values()].find((g) => g.name === name);
    if (!group) throw new Refusal('fail', 'UNKNOWN_GROUP', `no group "${name}"`);
    group.members.add(username);
    return { id: group.id, name, creator: group.creator };
  }

  private sendPrivate(from: string, to: string, text: string): Data | Promise<Data> {
    const sentAt = new Date();
    const at = sentAt.toISOString();
    const head = eventHead({ kind: 'private', from, fromAdmin: false, text, sentAt: at });
    if (!this.durable) return this.sentPrivate(to, head, this.nextMessageId++, at);
    const message: ChatMessage = { kind: 'private', from: this.durable.correspondent(from), fromAdmin: false, text, sentAt };
    return this.durable.store(message, [to]).then(([id]) => this.sentPrivate(to, head, id, at));
  }

  /** Pushes a private message given its id (none when the recipient's queue was full) and answers its sender. */
  private sentPrivate(to: string, head: SharedJson, id: MessageId | undefined, sentAt: string): Data {
    if (id !== undefined) this.push(to, head, id);
    return { message: { id: id ?? null, to, sentAt } };
  }

  /** The message is serialised, encoded and checksummed once for all its recipients, as parley does; each push adds only its id. */
  private sendGroup(from: string, groupId: number, text: string): Data | Promise<Data> {
    const group = this.groups.get(groupId);
    if (!group) throw new Refusal('fail', 'UNKNOWN_GROUP', `no group ${groupId}`);
    const sentAt = new Date();
    const at = sentAt.toISOString();
    const ref = { id: group.id, name: group.name, creator: group.creator };
    const head = eventHead({ kind: 'group', from, fromAdmin: false, group: ref, text, sentAt: at });
    if (!this.durable) {
      let recipients = 0;
      for (const member of group.members) {
        if (member === from) continue;
        this.push(member, head, this.nextMessageId++);
        recipients++;
      }
      return { group: ref, recipients, sentAt: at };
    }
    const members = [...group.members].filter((member) => member !== from);
    const message: ChatMessage = { kind: 'group', from: this.durable.correspondent(from), fromAdmin: false, group: { ...ref, creator: ref.creator as Username }, text, sentAt };
    return this.durable.store(message, members).then((ids) => {
      let recipients = 0;
      members.forEach((member, i) => {
        const id = ids[i];
        if (id === undefined) return;
        this.push(member, head, id);
        recipients++;
      });
      return { group: ref, recipients, sentAt: at };
    });
  }

  /** Pushes the delivery to every socket of the user; nothing is kept for the absent (but by the durable floor's storage). */
  private push(username: string, head: SharedJson, id: MessageId): void {
    for (const socket of this.socketsOf.get(username) ?? []) this.outbox.sendShared(socket, head, `${id}}`);
  }
}

/** A message event up to its id, which comes last, as parley frames it. */
function eventHead(data: Data): SharedJson {
  return new SharedJson(`{"type":"event","event":"message","data":${JSON.stringify(data)},"id":`);
}

/** The value after `--name` on the command line, if given. */
function argument(argv: readonly string[], name: string): string | undefined {
  const at = argv.indexOf(name);
  return at >= 0 ? argv[at + 1] : undefined;
}

const argv = process.argv.slice(2);
const file = argument(argv, '--db');
const durable = file === undefined ? undefined : await DurableQueue.open(file);
const relay = new FloorRelay(durable);
const server = createServer((socket) => relay.accept(socket));
server.listen(Number(argument(argv, '--port') ?? 0), '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  process.stderr.write(`${JSON.stringify({ level: 30, name: durable ? 'durable-floor' : 'floor', msg: 'listening', port })}\n`);
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    server.close();
    // The durable floor's queue commits what it holds before the database closes.
    void (durable?.close() ?? Promise.resolve()).finally(() => process.exit(0));
  });
}
