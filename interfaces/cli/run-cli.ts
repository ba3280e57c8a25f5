import yargs, { type Argv, type CommandModule } from 'yargs';
import { Parser } from 'yargs/helpers';
import { DomainError } from '../../domain/index.js';
import { ChatError } from '../client/chat-error.js';
import { DEFAULT_CONNECT_TIMEOUT_MS, DEFAULT_REQUEST_TIMEOUT_MS } from '../client/chat-client.js';
import { DEFAULT_SERVER, type CliDependencies, type GlobalArgs, type SharedConnection } from './cli-context.js';
import { addCommand } from './commands/add.js';
import { ADMIN_COMMAND_NAMES, adminCommands } from './commands/admin-commands.js';
import { friendsCommand } from './commands/friends.js';
import { groupCommands } from './commands/group-commands.js';
import { listenCommand } from './commands/listen.js';
import { loginCommand } from './commands/login.js';
import { logoutCommand } from './commands/logout.js';
import { promoteCommand } from './commands/promote.js';
import { regCommand } from './commands/reg.js';
import { sendCommand } from './commands/send.js';
import { serveCommand } from './commands/serve.js';
import { whoamiCommand } from './commands/whoami.js';
import { CliError, EXIT, type ExitCode } from './exit-codes.js';
import { StorageError } from '../../application/ports/storage-error.js';
import { ProfileStore } from './profile-store.js';
import { runShell } from './shell.js';

/** Refusals that mean "log in (again)", whichever command met them. */
const SESSION_CODES = new Set(['NOT_AUTHENTICATED', 'SESSION_EXPIRED', 'TOKEN_EXPIRED']);

const EPILOGUE = `Exit status: 0 done, 1 refused by the server, 2 bad usage, 3 server unreachable, not answering in time or protocol error, 4 not logged in or session replaced.
Sessions are kept per profile in $CHATCTL_HOME/<profile>.json (default ~/.chatctl), readable only by you.`;

/** Turns any failure into one line (or a JSON object with --json) and its exit status. */
function report(error: unknown, json: boolean): ExitCode {
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

/** The commands a user runs against a server, one-shot or as shell lines. */
function userCommands(shared: SharedConnection | undefined, admin: boolean): CommandModule<GlobalArgs, never>[] {
  return [
    ...[regCommand, loginCommand, logoutCommand, whoamiCommand, addCommand, friendsCommand, sendCommand].map(
      (command) => command(shared) as unknown as CommandModule<GlobalArgs, never>,
    ),
    ...groupCommands(shared),
    ...adminCommands(shared, admin),
  ];
}

function parser(argv: string[] | string, commands: CommandModule<GlobalArgs, never>[], shell: boolean): Argv<GlobalArgs> {
  let built = (yargs(argv) as Argv<GlobalArgs>)
    .scriptName(shell ? '' : 'chatctl')
    .usage(shell ? 'Commands, one per line:' : '$0 <command> [options]\n\nThe parley chat client. Log in once; later commands use the saved session.')
    .option('server', {
      type: 'string',
      describe: `Server as host:port, or tls://host:port for TLS [env CHATCTL_SERVER; else the one this profile logged in to; else ${DEFAULT_SERVER}]`,
      default: process.env.CHATCTL_SERVER || undefined,
      defaultDescription: 'see above',
      hidden: shell,
    })
    .option('profile', {
      type: 'string',
      describe: 'Which saved session to use [env CHATCTL_PROFILE]',
      default: process.env.CHATCTL_PROFILE || 'default',
      hidden: shell,
    })
    .option('ca', {
      type: 'string',
      describe: 'CA certificate (PEM) to trust for a tls:// server, such as a private CA [env CHATCTL_CA]',
      default: process.env.CHATCTL_CA || undefined,
      hidden: shell,
    })
    .option('connect-timeout', {
      type: 'number',
      describe: 'Seconds to wait for the connection (and TLS handshake) to be made',
      default: DEFAULT_CONNECT_TIMEOUT_MS / 1000,
      hidden: shell,
    })
    .option('request-timeout', {
      type: 'number',
      describe: 'Seconds to wait for an answer, and for a sign of life while listening, before giving up with exit 3',
      default: DEFAULT_REQUEST_TIMEOUT_MS / 1000,
      hidden: shell,
    })
    .option('json', { type: 'boolean', default: false, describe: 'Print machine-readable JSON' });
  for (const command of commands) built = built.command(command);
  built = built
    .demandCommand(1, 'name a command; `--help` lists them')
    .strict()
    .epilogue(shell ? 'Also: help, quit. Tab completes commands and friends; pushed messages appear as they arrive.' : EPILOGUE)
    .help()
    .alias('help', 'h')
    .wrap(Math.min(100, process.stdout.columns || 100))
    .exitProcess(false);
  return shell ? built.version(false) : built.version();
}

/** Parses and runs one command line; resolves with its exit status. */
async function run(argv: string[] | string, commands: CommandModule<GlobalArgs, never>[], shell: boolean): Promise<ExitCode> {
  const json = (typeof argv === 'string' ? argv.split(/\s+/) : argv).includes('--json');
  const cli = parser(argv, commands, shell).fail((message, error) => {
    // Throwing stops yargs: it would otherwise go on to run the handler without its arguments.
    throw error ?? new CliError(EXIT.USAGE, message, 'USAGE');
  });
  try {
    await cli.parseAsync();
  } catch (error) {
    if (error instanceof CliError && error.code === 'USAGE' && !json && !shell) process.stderr.write(`${await cli.getHelp()}\n\n`);
    return report(error, json);
  }
  return EXIT.OK;
}

/** Runs one chatctl command line; resolves with the exit status. */
export async function runCli(argv: string[], dependencies: CliDependencies): Promise<ExitCode> {
  const profile = String(Parser(argv, { string: ['profile'] }).profile ?? (process.env.CHATCTL_PROFILE || 'default'));
  const shellCommand: CommandModule<GlobalArgs, GlobalArgs> = {
    command: 'shell',
    describe: 'Interactive: one connection, the commands above as lines (and .send), pushed messages as they arrive',
    handler: async (args) => {
      const names = ['reg', 'login', 'logout', 'whoami', 'add', 'friends', 'send', '.send', 'newgroup', 'delgroup', 'addgroupuser', 'delgroupuser', 'groups', 'sendgroup'];
      await runShell(
        args,
        async () => (await isAdmin(args.profile)) ? [...names, ...ADMIN_COMMAND_NAMES] : names,
        async (line, shared) => run(line, userCommands(shared, await isAdmin(args.profile)), true),
      );
    },
  };
  const commands = [
    serveCommand(dependencies),
    promoteCommand(dependencies),
    ...userCommands(undefined, await isAdmin(profile)),
    listenCommand,
    shellCommand,
  ] as CommandModule<GlobalArgs, never>[];
  return run(argv, commands, false);
}
