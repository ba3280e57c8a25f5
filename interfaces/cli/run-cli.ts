import yargs, { type Argv, type CommandModule, type Options } from 'yargs';
import { Parser } from 'yargs/helpers';
import { DomainError } from '../../domain/index.js';
import { StorageError } from '../../application/ports/storage-error.js';
import { ChatError } from '../client/chat-error.js';
import { DEFAULT_CONNECT_TIMEOUT_MS, DEFAULT_REQUEST_TIMEOUT_MS } from '../client/client-defaults.js';
import { DEFAULT_SERVER, type CliDependencies, type GlobalArgs, type SharedConnection } from './cli-context.js';
import { addCommand } from './commands/add.js';
import { adminCommands } from './commands/admin-commands.js';
import { completionCommand } from './commands/completion.js';
import { friendsCommand } from './commands/friends.js';
import { groupCommands } from './commands/group-commands.js';
import { listenCommand } from './commands/listen.js';
import { loginCommand } from './commands/login.js';
import { logoutCommand } from './commands/logout.js';
import { passwdCommand } from './commands/passwd.js';
import { regCommand } from './commands/reg.js';
import { sendCommand } from './commands/send.js';
import { unregisterCommand } from './commands/unregister.js';
import { whoamiCommand } from './commands/whoami.js';
import { CliError, EXIT, EXIT_STATUSES, type ExitCode } from './exit-codes.js';
import { PACKAGE_VERSION } from './package-version.js';
import { ProfileStore } from './profile-store.js';
import { dashedWordError, oneLineUsageError, splitAtDashes, STDIN_MESSAGE_FLAG } from './usage-errors.js';

type AnyCommand = CommandModule<GlobalArgs, never>;

/** Refusals that mean "log in (again)", whichever command met them. */
const SESSION_CODES = new Set(['NOT_AUTHENTICATED', 'SESSION_EXPIRED', 'TOKEN_EXPIRED']);

const EPILOGUE = `Exit status: ${EXIT_STATUSES}.
Sessions are kept per profile in $CHATCTL_HOME/<profile>.json (default ~/.chatctl), readable only by you.
\`chatctl help <command>\` (or \`chatctl <command> --help\`) shows a command's options and an example.`;

/** Turns any failure into one line (or a JSON object with --json) and its exit status. */
function report(error: unknown, json: boolean): ExitCode {
  if (error instanceof Error && error.name === 'ExitPromptError') return EXIT.INTERRUPTED; // Ctrl-C at a password prompt
  let exitCode: ExitCode;
  let code: string;
  if (error instanceof CliError) {
    [exitCode, code] = [error.exitCode, error.code];
  } else if (error instanceof ChatError) {
    code = error.code;
    exitCode = SESSION_CODES.has(code) ? EXIT.NOT_LOGGED_IN : error.status === 'fail' ? EXIT.REFUSED : EXIT.UNREACHABLE;
  } else if (error instanceof DomainError) {
    // Refused by a rule in-process, as `promote` runs against the database directly.
    [exitCode, code] = [EXIT.REFUSED, error.code];
  } else if (error instanceof StorageError) {
    // `serve` or `promote` could not open its database (PostgreSQL away, a wrong URL).
    [exitCode, code] = [EXIT.UNREACHABLE, error.code];
  } else {
    [exitCode, code] = [EXIT.UNREACHABLE, 'UNEXPECTED'];
  }
  const message = error instanceof Error ? error.message : String(error);
  if (json) process.stdout.write(`${JSON.stringify({ error: { code, message } })}\n`);
  else process.stderr.write(`chatctl: ${message}\n`);
  return exitCode;
}

/** Whether the profile's last login said the user is an admin: the client offers admin commands only then. */
async function isAdmin(profile: string): Promise<boolean> {
  return new ProfileStore(ProfileStore.defaultHome(), profile)
    .read()
    .then((p) => p.isAdmin === true)
    .catch(() => false);
}

/** `--json`, on the commands that print data. */
function jsonOption<T>(y: Argv<T>): Argv<T> {
  return y.option('json', { type: 'boolean', default: false, describe: 'Print machine-readable JSON' });
}

/** How to reach the server, on the commands that talk to one; hidden in the shell, whose connection is made. */
function clientOptionSpecs(shell: boolean): Record<string, Options> {
  return {
    server: {
      type: 'string',
      describe: `Server as host:port, or tls://host:port for TLS [env CHATCTL_SERVER; else the one this profile logged in to; else ${DEFAULT_SERVER}]`,
      default: process.env.CHATCTL_SERVER || undefined,
      defaultDescription: 'see above',
      hidden: shell,
    },
    profile: {
      type: 'string',
      describe: 'Which saved session to use [env CHATCTL_PROFILE]',
      default: process.env.CHATCTL_PROFILE || 'default',
      hidden: shell,
    },
    ca: {
      type: 'string',
      describe: 'CA certificate (PEM) to trust for a tls:// server, such as a private CA [env CHATCTL_CA]',
      default: process.env.CHATCTL_CA || undefined,
      hidden: shell,
    },
    'connect-timeout': {
      type: 'number',
      describe: 'Seconds to wait for the connection (and TLS handshake) to be made',
      default: DEFAULT_CONNECT_TIMEOUT_MS / 1000,
      hidden: shell,
    },
    'request-timeout': {
      type: 'number',
      describe: 'Seconds to wait for an answer, and for a sign of life while listening, before giving up with exit 3',
      default: DEFAULT_REQUEST_TIMEOUT_MS / 1000,
      hidden: shell,
    },
  };
}

function clientOptions<T>(y: Argv<T>, shell: boolean): Argv<T> {
  return y.options(clientOptionSpecs(shell)) as Argv<T>;
}

/** The client options that take the next word as their value (`--profile work`), wherever they stand. */
const CLIENT_VALUE_OPTIONS: ReadonlySet<string> = new Set(
  Object.entries(clientOptionSpecs(false))
    .filter(([, spec]) => spec.type !== 'boolean')
    .map(([name]) => `--${name}`),
);

/** What a command takes besides its own arguments. */
interface Extras {
  readonly client?: boolean;
  readonly json?: boolean;
}

/** A user command: it talks to a server and prints data. */
const serverCommand = (module: AnyCommand) => ({ module, extras: { client: true, json: true } });

/** The command a parse is in, as the wrapped builders record it for the one-line usage errors. */
interface Reached {
  usage?: string;
  options: string[];
}

/**
 * Wraps a command so that its builder first adds the shared options it takes (`extras`), and
 * records, for usage errors, which command was reached and the options it knows.
 */
function wrap(command: AnyCommand, extras: Extras, shell: boolean, reached: Reached): AnyCommand {
  const own = command.builder;
  const { usage } = namesOf(command);
  const builder = async (y: Argv<GlobalArgs>) => {
    let built = extras.client ? clientOptions(y, shell) : y;
    if (extras.json) built = jsonOption(built);
    reached.usage = usage;
    const result = (await (typeof own === 'function' ? own(built) : built.options(own ?? {}))) as Argv<GlobalArgs>;
    reached.options = Object.keys((result as unknown as { getOptions(): { key: Record<string, unknown> } }).getOptions().key);
    return result;
  };
  const text = /[<[](\w+)\.\.[>\]]/.exec(usage)?.[1];
  const optional = [...usage.matchAll(/\[(\w+)\]/g)].map((match) => match[1]!);
  const handler = async (args: Record<string, unknown>) => {
    // Words after `--` are never options: they fill the optional arguments not given before it
    // (`chatctl login bob -- -pw`), then the command's text, if it takes one.
    const rest = (args['--'] as string[] | undefined) ?? [];
    delete args['--'];
    for (const name of optional) if (args[name] === undefined && rest.length > 0) args[name] = rest.shift();
    if (text) args[text] = [...((args[text] as string[] | undefined) ?? []), ...rest];
    else if (rest.length > 0) throw new CliError(EXIT.USAGE, `unexpected argument "${rest[0]}"; usage: ${shell ? '' : 'chatctl '}${usage}`, 'USAGE');
    await command.handler(args as never);
  };
  return { ...command, builder, handler } as unknown as AnyCommand;
}

/**
 * A command whose module is loaded only when it is run or its help is asked for: `serve` and
 * `promote` open the database and load the server, which no other command needs.
 */
function lazy(command: string, describe: string, examples: [string, string][], load: () => Promise<AnyCommand>): AnyCommand {
  let module: Promise<AnyCommand> | undefined;
  const loaded = () => (module ??= load());
  return {
    command,
    describe,
    builder: async (y: Argv<GlobalArgs>) => {
      const own = (await loaded()).builder as (y: Argv<GlobalArgs>) => Argv<GlobalArgs>;
      return own(examples.reduce((built, [example, what]) => built.example(example, what), y));
    },
    handler: async (args: never) => (await loaded()).handler(args),
  } as unknown as AnyCommand;
}

/** The commands a user runs against a server, one-shot or as shell lines. */
function userCommands(shared: SharedConnection | undefined, admin: boolean): AnyCommand[] {
  return [
    ...[regCommand, loginCommand, logoutCommand, whoamiCommand, passwdCommand, unregisterCommand, addCommand, friendsCommand, sendCommand].map((command) => command(shared) as unknown as AnyCommand),
    ...groupCommands(shared),
    ...adminCommands(shared, admin),
  ];
}

/** A command's usage line, and the names it answers to: its own, then its aliases'. */
function namesOf(command: AnyCommand): { usage: string; names: string[] } {
  const [usage, ...aliases] = [command.command].flat().map(String);
  return { usage: usage!, names: [usage!, ...aliases].map((line) => line.split(' ')[0]!) };
}

/** The usage line of each user command (and alias), for the shell's completion: it completes what goes where by it. */
function userCommandUsages(admin: boolean): string[] {
  return userCommands(undefined, admin)
    .filter((command) => command.describe !== false)
    .flatMap((command) => {
      const { usage, names } = namesOf(command);
      const slots = usage.split(' ').slice(1);
      return names.map((name) => [name, ...slots].join(' '));
    });
}

function parser(argv: string[] | string, commands: { module: AnyCommand; extras: Extras }[], shell: boolean, reached: Reached): Argv<GlobalArgs> {
  let built = (yargs(argv) as Argv<GlobalArgs>)
    .scriptName(shell ? '' : 'chatctl')
    // chatctl speaks English throughout: yargs would otherwise translate its own words for the
    // user's LANG (help half in German), and its refusals, which usage errors reword, with them.
    .locale('en')
    .usage(shell ? 'Commands, one per line:' : '$0 <command> [options]\n\nThe parley chat client. Log in once; later commands use the saved session.')
    .parserConfiguration({ 'populate--': true });
  for (const { module, extras } of commands) built = built.command(wrap(module, extras, shell, reached));
  built = built
    .demandCommand(1, 'name a command; `--help` lists them')
    .strict()
    .epilogue(shell ? 'Also: help [command], clear, quit. Tab completes commands, friends and groups; pushed messages appear as they arrive.' : EPILOGUE)
    .help()
    .alias('help', 'h')
    .wrap(Math.min(100, process.stdout.columns || 100))
    .exitProcess(false);
  return shell ? built.version(false) : built.version(PACKAGE_VERSION);
}

/**
 * `help <command>` is `<command> --help`; a lone `-` before `--` is `--stdin`. A shell line
 * stays a string, which yargs splits itself (quotes included).
 */
function normalize(argv: string[] | string): string[] | string {
  if (typeof argv === 'string') return argv.replace(/^help(?:\s+(.*))?$/s, (_, rest?: string) => `${rest ?? ''} --help`);
  const { options, rest } = splitAtDashes(argv);
  const head = options[0] === 'help' ? [...options.slice(1), '--help'] : options;
  return [...head.map((arg) => (arg === '-' ? STDIN_MESSAGE_FLAG : arg)), ...rest];
}

/** Parses and runs one command line (a shell line as a string); resolves with its exit status. */
async function run(argv: string[] | string, commands: { module: AnyCommand; extras: Extras }[], shell: boolean): Promise<ExitCode> {
  const normalized = normalize(argv);
  const line = typeof normalized === 'string' ? normalized.trim().split(/\s+/) : normalized;
  const json = splitAtDashes(line).options.includes('--json');
  const reached: Reached = { options: [] };
  const names = commands.filter(({ module }) => module.describe !== false).flatMap(({ module }) => namesOf(module).names);
  const usages = new Map(commands.flatMap(({ module }) => {
    const { usage, names: own } = namesOf(module);
    return own.map((name): [string, string] => [name, usage]);
  }));
  const dashed = dashedWordError(line, usages, CLIENT_VALUE_OPTIONS, shell);
  if (dashed) return report(dashed, json);
  const cli = parser(normalized, commands, shell, reached).fail((message, error) => {
    // Throwing stops yargs: it would otherwise go on to run the handler without its arguments.
    throw error ?? oneLineUsageError(message, { argv: line, reached, commandNames: names, shell });
  });
  try {
    await cli.parseAsync();
  } catch (error) {
    return report(error, json);
  }
  return EXIT.OK;
}

/** Runs one chatctl command line; resolves with the exit status. */
export async function runCli(argv: string[], dependencies: CliDependencies): Promise<ExitCode> {
  // Ctrl-C ends a command at once with 130, and nothing said; serve and listen stop on it themselves.
  process.on('SIGINT', () => {
    if (process.listenerCount('SIGINT') === 1) process.exit(EXIT.INTERRUPTED);
  });
  const profile = String(Parser(argv, { string: ['profile'] }).profile ?? (process.env.CHATCTL_PROFILE || 'default'));
  const admin = await isAdmin(profile);
  let shellStatus: ExitCode = EXIT.OK;
  const shellCommand: CommandModule<GlobalArgs, GlobalArgs> = {
    command: 'shell',
    describe: 'Interactive: one connection, the commands above as lines (and .send), pushed messages as they arrive',
    builder: (y) => y.example('$0 shell', 'Type `help` for the commands, Tab to complete, `quit` to leave'),
    handler: async (args) => {
      const { runShell } = await import('./shell.js');
      shellStatus = await runShell(
        args,
        async () => userCommandUsages(await isAdmin(args.profile)),
        async (line, shared) => run(line, userCommands(shared, await isAdmin(args.profile)).map(serverCommand), true),
      );
    },
  };
  const commands: { module: AnyCommand; extras: Extras }[] = [
    {
      module: lazy(
        'serve',
        'Run the chat server (what `npm start` runs)',
        [['$0 serve --port 7878 --db data/chat.sqlite', 'Serve on 127.0.0.1:7878, keeping everything in data/chat.sqlite']],
        async () => (await import('./commands/serve.js')).serveCommand(dependencies) as unknown as AnyCommand,
      ),
      extras: {},
    },
    {
      module: lazy(
        'promote <username>',
        'Make a user an admin, straight on the database (works while the server runs)',
        [['$0 promote alice --db data/chat.sqlite', 'Make alice an admin in the server\'s database']],
        async () => (await import('./commands/promote.js')).promoteCommand(dependencies) as unknown as AnyCommand,
      ),
      extras: { json: true },
    },
    ...[...userCommands(undefined, admin), listenCommand as unknown as AnyCommand].map(serverCommand),
    { module: shellCommand as unknown as AnyCommand, extras: { client: true } },
    { module: completionCommand as unknown as AnyCommand, extras: {} },
  ];
  const status = await run(argv, commands, false);
  return status === EXIT.OK ? shellStatus : status;
}
