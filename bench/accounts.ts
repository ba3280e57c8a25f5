import { Peer, RefusedError, type Delivery } from './peer.js';
import type { Nodes, ServerProcess } from './server-process.js';

/** Registration and login cost a scrypt each on parley, so they run over this many connections at once. */
const SETUP_CONNECTIONS = 8;
/** Connections opened and attached at once. */
const ATTACH_BATCH = 100;

export function benchUser(index: number): string {
  return `bench${index}`;
}

function passwordOf(username: string): string {
  return `bench-password-${username}`;
}

/**
 * The benchmark's users on one server or several nodes sharing a database: each registered
 * and logged in once (a login kicks the user's other connections), then reached through any
 * number of new connections, to any node, that `attach` with the kept token, which kicks nothing.
 */
export class Accounts {
  private readonly tokens = new Map<string, string>();
  /** Wall time spent registering and logging in, for the report. */
  setupSeconds = 0;

  constructor(
    private readonly nodes: Nodes,
    private readonly log: (message: string) => void = () => {},
  ) {}

  get users(): number {
    return this.tokens.size;
  }

  /** Registers and logs in every user not done yet, several at a time, the server using every CPU meanwhile. */
  async ensure(usernames: readonly string[]): Promise<void> {
    const missing = usernames.filter((name) => !this.tokens.has(name));
    if (missing.length === 0) return;
    const started = performance.now();
    const lanes = Array.from({ length: Math.min(SETUP_CONNECTIONS, missing.length) }, (_, lane) =>
      missing.filter((_name, i) => i % SETUP_CONNECTIONS === lane),
    );
    await this.nodes.withAllCpus(() => Promise.all(lanes.map((names) => this.registerAll(names))));
    const seconds = (performance.now() - started) / 1000;
    this.setupSeconds += seconds;
    this.log(`registered and logged in ${missing.length} user${missing.length === 1 ? '' : 's'} in ${seconds.toFixed(1)} s`);
  }

  /** A new connection to `node` attached as the user; `onDelivery` is in place before the backlog arrives. */
  async attach(node: ServerProcess, username: string, onDelivery?: (delivery: Delivery) => void): Promise<Peer> {
    const token = this.tokens.get(username);
    if (token === undefined) throw new Error(`${username} was never logged in`);
    const peer = await Peer.connect(node.port);
    peer.token = token;
    if (onDelivery) peer.onDelivery = onDelivery;
    try {
      await peer.request('attach');
    } catch (error) {
      await peer.close();
      throw error;
    }
    return peer;
  }

  /** Attaches one connection to `node` per entry, a batch at a time, in the order given. */
  async attachMany(node: ServerProcess, usernames: readonly string[], onDelivery?: (index: number, delivery: Delivery) => void): Promise<Peer[]> {
    const peers: Peer[] = [];
    for (let start = 0; start < usernames.length; start += ATTACH_BATCH) {
      const batch = usernames.slice(start, start + ATTACH_BATCH);
      peers.push(...(await Promise.all(batch.map((name, i) => this.attach(node, name, onDelivery && ((d) => onDelivery(start + i, d)))))));
    }
    return peers;
  }

  /** Makes the users friends; already being friends is fine. */
  async befriend(peer: Peer, username: string): Promise<void> {
    try {
      await peer.request('add', { username });
    } catch (error) {
      if (!(error instanceof RefusedError && error.code === 'ALREADY_FRIENDS')) throw error;
    }
  }

  private async registerAll(usernames: readonly string[]): Promise<void> {
    const peer = await Peer.connect(this.nodes.sending.port);
    try {
      for (const username of usernames) {
        const password = passwordOf(username);
        await peer.request('register', { username, password }).catch((error: unknown) => {
          if (!(error instanceof RefusedError && error.code === 'USERNAME_TAKEN')) throw error;
        });
        const { token } = await peer.request<{ token: string }>('login', { username, password });
        this.tokens.set(username, token);
      }
    } finally {
      await peer.close();
    }
  }
}

/** Closes every peer; errors are of no interest any more. */
export async function closeAll(peers: readonly Peer[]): Promise<void> {
  await Promise.all(peers.map((peer) => peer.close().catch(() => undefined)));
}
