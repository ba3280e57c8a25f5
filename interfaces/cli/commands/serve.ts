import { pino } from 'pino';
import { DEFAULT_MAX_QUEUED_PER_USER } from '../../../application/delivery-service.js';
import { DEFAULT_LOCK_TIMEOUT_MS } from '../../../application/ports/storage-error.js';
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { DEFAULT_MAX_PAYLOAD_BYTES, MIN_MAX_PAYLOAD_BYTES } from '../../wire/index.js';
import { TcpGateway } from '../../tcp/tcp-gateway.js';
import type { ArgsOf, CliDependencies, GlobalArgs } from '../cli-context.js';
import { CliError, EXIT } from '../exit-codes.js';

export const DEFAULT_DB = 'data/chat.sqlite';

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
    .option('max-queued-per-user', {
      type: 'number',
      default: DEFAULT_MAX_QUEUED_PER_USER,
      describe: 'Most unacknowledged deliveries kept for one user; sends past it are refused with QUEUE_FULL',
    })
    .option('db-lock-timeout', {
      type: 'number',
      default: DEFAULT_LOCK_TIMEOUT_MS / 1000,
      describe: 'Seconds a database write waits for a lock held elsewhere before the request answers TRY_AGAIN',
    })
    .option('log-level', { type: 'string', default: 'info', choices: ['debug', 'info', 'warn', 'error'], describe: 'Least severe log level written to stderr' })
    .check((args) => {
      const maxFrameBytes = args.maxFrameBytes as number;
      if (!Number.isSafeInteger(maxFrameBytes) || maxFrameBytes < MIN_MAX_PAYLOAD_BYTES) {
        throw new CliError(EXIT.USAGE, `--max-frame-bytes must be a whole number, at least ${MIN_MAX_PAYLOAD_BYTES} (got ${maxFrameBytes})`, 'USAGE');
      }
      const maxQueued = args.maxQueuedPerUser as number;
      if (!Number.isSafeInteger(maxQueued) || maxQueued < 1) {
        throw new CliError(EXIT.USAGE, `--max-queued-per-user must be a whole number, at least 1 (got ${maxQueued})`, 'USAGE');
      }
      const lockTimeout = args.dbLockTimeout as number;
      if (!Number.isFinite(lockTimeout) || lockTimeout < 0) {
        throw new CliError(EXIT.USAGE, `--db-lock-timeout must be a number of seconds, 0 or more (got ${lockTimeout})`, 'USAGE');
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
        maxQueuedPerUser: args.maxQueuedPerUser,
        busyTimeoutMs: Math.round(args.dbLockTimeout * 1000),
      });
      const gateway = new TcpGateway(app, {
        host: args.host,
        port: args.port,
        logger,
        limits: { maxPayloadBytes: args.maxFrameBytes },
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
