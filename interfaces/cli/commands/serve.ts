import { pino } from 'pino';
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { DEFAULT_LOGIN_THROTTLE_LIMITS } from '../../../application/ports/login-throttle.js';
import { DEFAULT_ADMISSION_LIMITS } from '../../session/connection-admission.js';
import { DEFAULT_REQUEST_LIMITS } from '../../session/request-throttle.js';
import { DEFAULT_MAX_PAYLOAD_BYTES, MIN_MAX_PAYLOAD_BYTES } from '../../wire/index.js';
import { TcpGateway } from '../../tcp/tcp-gateway.js';
import type { ArgsOf, CliDependencies, GlobalArgs } from '../cli-context.js';
import { CliError, EXIT } from '../exit-codes.js';

export const DEFAULT_DB = 'data/chat.sqlite';

/** The limit flags that take a positive number; `whole` ones a whole number. */
const POSITIVE_FLAGS = [
  { flag: 'max-connections-per-address', key: 'maxConnectionsPerAddress', whole: true },
  { flag: 'max-connects-per-minute', key: 'maxConnectsPerMinute', whole: true },
  { flag: 'max-requests-per-second', key: 'maxRequestsPerSecond', whole: false },
  { flag: 'max-request-burst', key: 'maxRequestBurst', whole: true },
  { flag: 'max-failed-logins-per-account', key: 'maxFailedLoginsPerAccount', whole: true },
  { flag: 'max-failed-logins-per-address', key: 'maxFailedLoginsPerAddress', whole: true },
  { flag: 'failed-login-interval', key: 'failedLoginInterval', whole: false },
] as const;

const builder = (yargs: Argv<GlobalArgs>) =>
  yargs
    .option('host', { type: 'string', default: '127.0.0.1', describe: 'Address to listen on' })
    .option('port', { type: 'number', default: 7878, describe: 'TCP port; 0 picks a free one' })
    .option('db', { type: 'string', default: DEFAULT_DB, describe: 'SQLite database file ("memory" for a throwaway one)' })
    .option('max-frame-bytes', {
      type: 'number',
      default: DEFAULT_MAX_PAYLOAD_BYTES,
      describe: `Largest payload one frame may carry; at least ${MIN_MAX_PAYLOAD_BYTES}, so the largest message fits`,
    })
    .option('max-connections-per-address', { type: 'number', default: DEFAULT_ADMISSION_LIMITS.maxConnectionsPerAddress, describe: 'Connections one address may hold open' })
    .option('max-connects-per-minute', { type: 'number', default: DEFAULT_ADMISSION_LIMITS.maxConnectsPerMinute, describe: 'New connections one address may open a minute' })
    .option('max-requests-per-second', { type: 'number', default: DEFAULT_REQUEST_LIMITS.requestsPerSecond, describe: 'Requests a connection, and a session, may average a second; more wait their turn' })
    .option('max-request-burst', { type: 'number', default: DEFAULT_REQUEST_LIMITS.requestBurst, describe: 'Requests a connection, and a session, may make at once above that average' })
    .option('max-failed-logins-per-account', {
      type: 'number',
      default: DEFAULT_LOGIN_THROTTLE_LIMITS.maxFailuresPerAccount,
      describe: 'Failed logins an account takes from unknown addresses before they are slowed',
    })
    .option('max-failed-logins-per-address', { type: 'number', default: DEFAULT_LOGIN_THROTTLE_LIMITS.maxFailuresPerAddress, describe: 'Failed logins an address makes before it is slowed' })
    .option('failed-login-interval', {
      type: 'number',
      default: DEFAULT_LOGIN_THROTTLE_LIMITS.failureIntervalMs / 1000,
      describe: 'Seconds; once slowed, one more login attempt per interval',
    })
    .option('log-level', { type: 'string', default: 'info', choices: ['debug', 'info', 'warn', 'error'], describe: 'Least severe log level written to stderr' })
    .check((args) => {
      const maxFrameBytes = args.maxFrameBytes as number;
      if (!Number.isSafeInteger(maxFrameBytes) || maxFrameBytes < MIN_MAX_PAYLOAD_BYTES) {
        throw new CliError(EXIT.USAGE, `--max-frame-bytes must be a whole number, at least ${MIN_MAX_PAYLOAD_BYTES} (got ${maxFrameBytes})`, 'USAGE');
      }
      for (const { flag, key, whole } of POSITIVE_FLAGS) {
        const value = args[key] as number;
        if (!(value > 0 && Number.isFinite(value)) || (whole && !Number.isSafeInteger(value))) {
          throw new CliError(EXIT.USAGE, `--${flag} must be a positive ${whole ? 'whole ' : ''}number (got ${value})`, 'USAGE');
        }
      }
      return true;
    });

/** `chatctl serve`: runs the server until SIGINT or SIGTERM, then shuts down gracefully. */
export function serveCommand({ createApp }: CliDependencies): CommandModule<GlobalArgs, ArgsOf<typeof builder>> {
  return {
    command: 'serve',
    describe: 'Run the chat server (what `npm start` runs)',
    builder,
    handler: async (args: ArgumentsCamelCase<ArgsOf<typeof builder>>) => {
      const logger = pino({ name: 'parley', level: args.logLevel }, pino.destination(2));
      const app = await createApp({
        storage: args.db === 'memory' ? 'memory' : `sqlite:${args.db}`,
        logger,
        loginThrottle: {
          maxFailuresPerAccount: args.maxFailedLoginsPerAccount,
          maxFailuresPerAddress: args.maxFailedLoginsPerAddress,
          failureIntervalMs: args.failedLoginInterval * 1000,
        },
      });
      const gateway = new TcpGateway(app, {
        host: args.host,
        port: args.port,
        logger,
        limits: {
          maxPayloadBytes: args.maxFrameBytes,
          maxConnectionsPerAddress: args.maxConnectionsPerAddress,
          maxConnectsPerMinute: args.maxConnectsPerMinute,
          requestsPerSecond: args.maxRequestsPerSecond,
          requestBurst: args.maxRequestBurst,
        },
      });
      try {
        await gateway.listen();
      } catch (error) {
        await app.close();
        throw error;
      }
      const signal = await new Promise<NodeJS.Signals>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      logger.info({ signal }, 'shutting down');
      await gateway.close();
      await app.close();
    },
  };
}
