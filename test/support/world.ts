import { join } from 'node:path';
import knex from 'knex';
import { createChatApp } from '../../container.js';
import { ChatClient, type ServerEvent } from '../../interfaces/client/chat-client.js';
import { chatctl, ServerProcess, temporaryDirectory } from './processes.js';

/**
 * The presence grace period of a World's server unless the case names its own: a user whose last
 * connection closed counts online this long, so the set-up's `chatctl login`s would otherwise
 * show online in the listings of the next 5 s. Shorter than starting the next chatctl process;
 * a case that looks at someone right after their connection closed still waits for the offline.
 */
export const WORLD_PRESENCE_GRACE_SECONDS = 0.05;

/** A real server on a temp database, and helpers to act as its users through real chatctl processes. */
export class World {
  private constructor(
    readonly tmp: ReturnType<typeof temporaryDirectory>,
    public server: ServerProcess,
  ) {}

  /** Starts the server, with `serve` flags `extra`, once `prepare`, if given, has filled its database. */
  static async start(prepare?: (db: string) => Promise<void>, extra: string[] = []): Promise<World> {
    const tmp = temporaryDirectory();
    const db = join(tmp.path, 'chat.sqlite');
    await prepare?.(db);
    const grace = extra.includes('--presence-grace') ? [] : ['--presence-grace', String(WORLD_PRESENCE_GRACE_SECONDS)];
    return new World(tmp, await ServerProcess.start(db, [...grace, ...extra]));
  }

  /** The environment of a chatctl acting as `profile`. */
  as(profile: string): NodeJS.ProcessEnv {
    return { CHATCTL_HOME: join(this.tmp.path, 'home'), CHATCTL_SERVER: this.server.address, CHATCTL_PROFILE: profile };
  }

  /** Registers the users (password "pw-<name>-123") and logs each in under a profile of its name. */
  async users(...names: string[]): Promise<void> {
    for (const name of names) {
      await expectOk(chatctl(['reg', name, '--password-stdin'], this.as(name), `pw-${name}-123\n`));
      await expectOk(chatctl(['login', name, `pw-${name}-123`], this.as(name)));
    }
  }

  chatctl(profile: string, ...args: string[]) {
    return chatctl(args, this.as(profile));
  }

  /** An SDK client logged in as the user (which replaces their chatctl session), listening from the start. */
  async client(name: string, listener?: (event: ServerEvent) => void): Promise<ChatClient> {
    const client = await ChatClient.connect({ port: this.server.port });
    if (listener) client.on('event', listener);
    await client.login(name, `pw-${name}-123`);
    return client;
  }

  /** Reads the server's database directly, as an operator would. */
  async query<T>(work: (db: knex.Knex) => Promise<T>): Promise<T> {
    const db = knex({ client: 'better-sqlite3', connection: { filename: this.server.db }, useNullAsDefault: true });
    try {
      return await work(db);
    } finally {
      await db.destroy();
    }
  }

  async queuedFor(username: string): Promise<string[]> {
    return this.query((db) =>
      db('queued_deliveries as m').join('users as u', 'u.id', 'm.recipient_id').where('u.username', username).orderBy('m.id').pluck('m.body'),
    );
  }

  /** Empties the queue behind the server's back: its rows and its group log. */
  async clearQueue(): Promise<void> {
    await this.query(async (db) => {
      for (const table of ['offline_messages', 'group_messages', 'group_cursors']) await db(table).del();
    });
  }

  async restart(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    await this.server.stop(signal);
    this.server = await ServerProcess.start(this.server.db, ['--presence-grace', String(WORLD_PRESENCE_GRACE_SECONDS)]);
  }

  async stop(): Promise<void> {
    await this.server.stop();
    this.tmp.remove();
  }
}

/**
 * Registers users (password "pw-<name>-123") on a database through the embedding API, with a
 * cheap password hash that logins then verify at the same cost: for tests with many users.
 */
export async function registerCheaply(db: string, names: readonly string[]): Promise<void> {
  const app = await createChatApp({ storage: `sqlite:${db}`, scryptCost: { N: 2 ** 10, r: 8, p: 1 } });
  try {
    for (const name of names) await app.accounts.register(name, `pw-${name}-123`);
  } finally {
    await app.close();
  }
}

export async function expectOk<T extends { code: number | null; stderr: string }>(outcome: Promise<T>): Promise<T> {
  const result = await outcome;
  if (result.code !== 0) throw new Error(`chatctl failed with ${result.code}: ${result.stderr}`);
  return result;
}

/** Waits until `check` holds, polling; fails after `ms`. */
export async function eventually(check: () => Promise<boolean>, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
