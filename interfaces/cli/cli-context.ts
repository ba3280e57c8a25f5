import { readFile } from 'node:fs/promises';
import type { Argv } from 'yargs';
import type { ChatAppFactory } from '../../application/chat-app.js';
import type { ChatClient, ChatClientOptions } from '../client/chat-client.js';
import type { SendOperation } from '../client/client-message-id.js';
import { DEFAULT_PORT } from '../client/client-defaults.js';
import type { OperationArgs, OperationResult } from '../wire/operations.js';
import { CliError, EXIT } from './exit-codes.js';
import { askPassword } from './password-input.js';
import { ProfileStore, type Profile } from './profile-store.js';

/** The options every command takes. */
export interface GlobalArgs {
  server?: string;
  profile: string;
  json: boolean;
  /** A CA certificate (PEM file) to trust for `tls://` servers. */
  ca?: string;
  /** Seconds; see ChatClientOptions. */
  connectTimeout: number;
  requestTimeout: number;
}

/** The arguments a command's builder declares, on top of the global ones. */
export type ArgsOf<B> = B extends (yargs: Argv<GlobalArgs>) => Argv<infer T> ? T : never;

/** What the composition root hands the CLI: the CLI never builds the application itself. */
export interface CliDependencies {
  readonly createApp: ChatAppFactory;
}

export const DEFAULT_SERVER = `127.0.0.1:${DEFAULT_PORT}`;

/** Splits `host:port` (or `[v6]:port`), `tls://` in front for TLS; refuses anything else as bad usage. */
export function parseServerAddress(address: string): { host: string; port: number; tls: boolean } {
  const match = /^(tls:\/\/)?(?:\[([^\]]+)\]|([^:/]+)):(\d{1,5})$/.exec(address.trim());
  const port = Number(match?.[4]);
  if (!match || port < 1 || port > 65535) {
    throw new CliError(EXIT.USAGE, `--server wants host:port or tls://host:port, such as ${DEFAULT_SERVER} (got "${address}")`);
  }
  return { host: match[2] ?? match[3]!, port, tls: match[1] !== undefined };
}

/** How chatctl connects to `server`: the address, TLS with the `--ca` file, the timeouts. */
export async function clientOptions(args: GlobalArgs, server: string, token: string | undefined): Promise<ChatClientOptions> {
  const { host, port, tls } = parseServerAddress(server);
  for (const [flag, seconds] of [['--connect-timeout', args.connectTimeout], ['--request-timeout', args.requestTimeout]] as const) {
    if (!(seconds > 0)) throw new CliError(EXIT.USAGE, `${flag} wants a number of seconds above 0 (got ${seconds})`, 'USAGE');
  }
  let ca: Buffer | undefined;
  if (tls && args.ca) {
    ca = await readFile(args.ca).catch((error: Error) => {
      throw new CliError(EXIT.USAGE, `cannot read the CA file given by --ca: ${error.message}`, 'UNREADABLE_FILE');
    });
  }
  return {
    host,
    port,
    token,
    tls: tls && (ca ? { ca } : true),
    connectTimeoutMs: args.connectTimeout * 1000,
    requestTimeoutMs: args.requestTimeout * 1000,
  };
}

/** A connection a command may use: its own in one-shot mode, the shell's in the shell. */
export interface Lease {
  readonly client: ChatClient;
  readonly profile: Profile;
  readonly server: string;
  release(): Promise<void>;
}

/** The shell's one connection, lent to every command it runs. */
export interface SharedConnection {
  readonly client: ChatClient;
  readonly server: string;
  /** The shell's profile, which every line uses. */
  readonly profile: string;
  /** Asks on the shell's own line editor, without echo. */
  askPassword(message: string): Promise<string>;
}

/** One command's view of the world: its options, its profile, its connection, its output. */
export class CliContext {
  readonly profiles: ProfileStore;

  constructor(
    readonly args: GlobalArgs,
    readonly shared?: SharedConnection,
  ) {
    this.profiles = new ProfileStore(ProfileStore.defaultHome(), shared?.profile ?? args.profile);
  }

  /** `--server`, else `CHATCTL_SERVER`, else the server this profile logged in to, else the default. */
  serverFor(profile: Profile): string {
    return this.args.server ?? profile.server ?? DEFAULT_SERVER;
  }

  /** A connection presenting whatever token the profile holds. */
  async connect(): Promise<Lease> {
    const profile = await this.profiles.read();
    if (this.shared) {
      this.shared.client.token = profile.token;
      return { client: this.shared.client, server: this.shared.server, profile, release: async () => {} };
    }
    const server = this.serverFor(profile);
    // Loaded here, not up front: a one-shot command that never connects starts faster without it.
    const { ChatClient } = await import('../client/chat-client.js');
    const client = await ChatClient.connect(await clientOptions(this.args, server, profile.token));
    return { client, profile, server, release: () => client.close() };
  }

  /** Like `connect`, for commands that need a login: refuses early, with exit 4, when there is none. */
  async session(): Promise<Lease> {
    await this.assertLoggedIn();
    return this.connect();
  }

  /** Refuses with exit 4 when the profile holds no session: before asking for anything. */
  async assertLoggedIn(): Promise<void> {
    if (!(await this.profiles.read()).token) throw new CliError(EXIT.NOT_LOGGED_IN, 'not logged in: run `chatctl login <username>` first', 'NOT_AUTHENTICATED');
  }

  /** Runs `work` on a leased connection and gives it back, whatever happens. */
  async with<T>(lease: Promise<Lease>, work: (lease: Lease) => Promise<T>): Promise<T> {
    const leased = await lease;
    try {
      return await work(leased);
    } finally {
      await leased.release();
    }
  }

  /**
   * Sends a message under a fresh client message id, repeating it once on a new connection if
   * the first was lost before the answer: the server stores it once either way.
   */
  async sendMessage<Op extends SendOperation>(op: Op, args: OperationArgs<Op>): Promise<OperationResult<Op>> {
    const { sendOnce } = await import('../client/client-message-id.js');
    return sendOnce(args, (withId) => this.with(this.session(), ({ client }) => client.request(op, withId)));
  }

  /** Asks for a password without echo: on the shell's line editor there, else on the terminal. */
  askPassword(message: string): Promise<string> {
    return this.shared ? this.shared.askPassword(message) : askPassword(message);
  }

  /** Asks twice, for a new password, and refuses if the two differ. */
  async askNewPassword(prompt = 'Password'): Promise<string> {
    const first = await this.askPassword(`${prompt}: `);
    const second = await this.askPassword(`${prompt} again: `);
    if (first !== second) throw new CliError(EXIT.USAGE, 'the passwords do not match');
    return first;
  }

  /** Warns, on stderr, of the members a group send left out because their queue is full (with --json the data says it). */
  warnQueueFull(names: readonly string[] | undefined): void {
    if (this.args.json || !names?.length) return;
    process.stderr.write(`warning: not stored for ${names.join(', ')}: their queue of unread messages is full (QUEUE_FULL)\n`);
  }

  /** Prints a result: the human line, or with --json the data as one JSON document. */
  print(human: string, data: unknown): void {
    process.stdout.write(this.args.json ? `${JSON.stringify(data)}\n` : `${human}\n`);
  }
}
