import yargs, { type Argv } from 'yargs';
import { DomainError } from '../../domain/index.js';
import { ChatConnectionError, ChatRequestError } from '../client/chat-client.js';
import { DEFAULT_SERVER, type CliDependencies, type GlobalArgs } from './cli-context.js';
import { listenCommand } from './commands/listen.js';
import { loginCommand } from './commands/login.js';
import { logoutCommand } from './commands/logout.js';
import { promoteCommand } from './commands/promote.js';
import { regCommand } from './commands/reg.js';
import { serveCommand } from './commands/serve.js';
import { whoamiCommand } from './commands/whoami.js';
import { CliError, EXIT, type ExitCode } from './exit-codes.js';

/** Refusals that mean "log in (again)", whichever command met them. */
const SESSION_CODES = new Set(['NOT_AUTHENTICATED', 'SESSION_EXPIRED']);

const EPILOGUE = `Exit status: 0 done, 1 refused by the server, 2 bad usage, 3 server unreachable or protocol error, 4 not logged in or session replaced.
Sessions are kept per profile in $CHATCTL_HOME/<profile>.json (default ~/.chatctl), readable only by you.`;

/** Turns any failure into one line (or a JSON object with --json) and its exit status. */
function report(error: unknown, json: boolean): ExitCode {
  let exitCode: ExitCode;
  let code: string;
  if (error instanceof CliError) {
    [exitCode, code] = [error.exitCode, error.code];
  } else if (error instanceof ChatRequestError) {
    code = error.code;
    exitCode = SESSION_CODES.has(code) ? EXIT.NOT_LOGGED_IN : error.status === 'fail' ? EXIT.REFUSED : EXIT.UNREACHABLE;
  } else if (error instanceof DomainError) {
    // Refused by a rule in-process, as `promote` runs against the database directly.
    [exitCode, code] = [EXIT.REFUSED, error.code];
  } else if (error instanceof ChatConnectionError) {
    [exitCode, code] = [EXIT.UNREACHABLE, error.code];
  } else {
    [exitCode, code] = [EXIT.UNREACHABLE, 'UNEXPECTED'];
  }
  const message = error instanceof Error ? error.message : String(error);
  if (json) process.stdout.write(`${JSON.stringify({ error: { code, message } })}\n`);
  else process.stderr.write(`chatctl: ${message}\n`);
  return exitCode;
}

/** Runs one chatctl command line; resolves with the exit status. */
export async function runCli(argv: string[], dependencies: CliDependencies): Promise<ExitCode> {
  const json = argv.includes('--json');
  let usageError: string | undefined;
  const parser = (yargs(argv) as Argv<GlobalArgs>)
    .scriptName('chatctl')
    .usage('$0 <command> [options]\n\nThe parley chat client. Log in once; later commands use the saved session.')
    .option('server', {
      type: 'string',
      describe: `Server as host:port [env CHATCTL_SERVER; else the one this profile logged in to; else ${DEFAULT_SERVER}]`,
      default: process.env.CHATCTL_SERVER || undefined,
      defaultDescription: 'see above',
    })
    .option('profile', {
      type: 'string',
      describe: 'Which saved session to use [env CHATCTL_PROFILE]',
      default: process.env.CHATCTL_PROFILE || 'default',
    })
    .option('json', { type: 'boolean', default: false, describe: 'Print machine-readable JSON' })
    .command(serveCommand(dependencies))
    .command(promoteCommand(dependencies))
    .command(regCommand)
    .command(loginCommand)
    .command(logoutCommand)
    .command(whoamiCommand)
    .command(listenCommand)
    .demandCommand(1, 'name a command; `chatctl --help` lists them')
    .strict()
    .recommendCommands()
    .epilogue(EPILOGUE)
    .help()
    .alias('help', 'h')
    .version()
    .wrap(Math.min(100, process.stdout.columns || 100))
    .exitProcess(false)
    .fail((message, error) => {
      if (error) throw error;
      usageError = message;
    });
  try {
    await parser.parseAsync();
  } catch (error) {
    return report(error, json);
  }
  if (usageError !== undefined) {
    if (!json) process.stderr.write(`${await parser.getHelp()}\n\n`);
    return report(new CliError(EXIT.USAGE, usageError, 'USAGE'), json);
  }
  return EXIT.OK;
}
