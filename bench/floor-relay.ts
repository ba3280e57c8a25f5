/**
 * The benchmark's floor: a relay that speaks parley's framing and envelopes but keeps
 * nothing and checks nothing, so the difference to parley is what auth, storage and the
 * layers cost. `node dist/bench/floor-relay.js --port 0` logs `{"msg":"listening","port":N}`
 * on stderr, as `chatctl serve` does. Output is gathered per socket and written once per
 * event-loop turn, in one buffer; a group message is serialised once for all its recipients.
 */
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { FrameBatch, FrameDecoder, SharedJson } from '../interfaces/wire/frame.js';

type Data = Record<string, unknown>;

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

class FloorRelay {
  private readonly outbox = new Outbox();
  private readonly socketsOf = new Map<string, Set<Socket>>();
  private readonly userOf = new Map<Socket, string>();
  private readonly groups = new Map<number, Group>();
  private nextMessageId = 1;
  private nextGroupId = 1;

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
      this.outbox.send(socket, { type: 'response', id, status: 'ok', data });
    } catch (error) {
      if (!(error instanceof Refusal)) throw error;
      this.outbox.send(socket, { type: 'response', id, status: error.status, code: error.code, message: error.message });
    }
  }

  private run(socket: Socket, op: string, args: Data, token: string | undefined): Data {
    switch (op) {
      case 'register':
        return { user: { username: String(args.username) } };
      case 'login':
        return { token: this.bind(socket, String(args.username)), user: { username: args.username }, backlog: 0 };
      case 'attach':
        return { user: { username: this.bind(socket, this.caller(socket, token)) }, backlog: 0 };
      case 'ack':
        return { acknowledged: Array.isArray(args.ids) ? args.ids : [], unknown: [] };
      case 'add':
        return { friend: { username: args.username, online: this.socketsOf.has(String(args.username)) } };
      case 'newgroup':
        return { group: this.createGroup(String(args.name), this.caller(socket, token)) };
      case 'addgroupuser':
        return { group: this.invite(String(args.name), String(args.username)) };
      case 'send':
        return { message: this.sendPrivate(this.caller(socket, token), String(args.to), String(args.text)) };
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

  private createGroup(name: string, creator: string): Data {
    const group: Group = { id: this.nextGroupId++, name, creator, members: new Set([creator]) };
    this.groups.set(group.id, group);
    return { id: group.id, name, creator };
  }

  private invite(name: string, username: string): Data {
    const group = [...this.groups.values()].find((g) => g.name === name);
    if (!group) throw new Refusal('fail', 'UNKNOWN_GROUP', `no group "${name}"`);
    group.members.add(username);
    return { id: group.id, name, creator: group.creator };
  }

  private sendPrivate(from: string, to: string, text: string): Data {
    const sentAt = new Date().toISOString();
    const id = this.push(to, eventHead({ kind: 'private', from, fromAdmin: false, text, sentAt }));
    return { id, to, sentAt };
  }

  /** The message is serialised, encoded and checksummed once for all its recipients, as parley does; each push adds only its id. */
  private sendGroup(from: string, groupId: number, text: string): Data {
    const group = this.groups.get(groupId);
    if (!group) throw new Refusal('fail', 'UNKNOWN_GROUP', `no group ${groupId}`);
    const sentAt = new Date().toISOString();
    const ref = { id: group.id, name: group.name, creator: group.creator };
    const head = eventHead({ kind: 'group', from, fromAdmin: false, group: ref, text, sentAt });
    let recipients = 0;
    for (const member of group.members) {
      if (member === from) continue;
      this.push(member, head);
      recipients++;
    }
    return { group: ref, recipients, sentAt };
  }

  /** Gives the delivery the next id and pushes it to every socket of the user; nothing is kept for the absent. */
  private push(username: string, head: SharedJson): number {
    const id = this.nextMessageId++;
    for (const socket of this.socketsOf.get(username) ?? []) this.outbox.sendShared(socket, head, `${id}}`);
    return id;
  }
}

/** A message event up to its id, which comes last, as parley frames it. */
function eventHead(data: Data): SharedJson {
  return new SharedJson(`{"type":"event","event":"message","data":${JSON.stringify(data)},"id":`);
}

function portArgument(argv: readonly string[]): number {
  const at = argv.indexOf('--port');
  return at >= 0 ? Number(argv[at + 1]) : 0;
}

const relay = new FloorRelay();
const server = createServer((socket) => relay.accept(socket));
server.listen(portArgument(process.argv.slice(2)), '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  process.stderr.write(`${JSON.stringify({ level: 30, name: 'floor', msg: 'listening', port })}\n`);
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    server.close();
    process.exit(0);
  });
}
