import { pino } from 'pino';
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { DEFAULT_TOKEN_LIFETIME_SECONDS } from '../../../application/account-service.js';
import { MAX_PAGE_SIZE } from '../../../application/paging.js';
import { DEFAULT_MAX_PAYLOAD_BYTES, MIN_MAX_PAYLOAD_BYTES } from '../../wire/index.js';
import { TcpGateway } from '../../tcp/tcp-gateway.js';
import type { ArgsOf, CliDependencies, GlobalArgs } from '../cli-context.js';
import { CliError, EXIT } from '../exit-codes.js';

export const DEFAULT_DB = 'data/chat.sqlite';
/** The longest `--token-lifetime`: ten years, past which a lifetime means "never" and should say so by being refused. */
const MAX_TOKEN_LIFETIME_SECONDS = 10 * 365 * 24 * 60 * 60;

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
    .option('token-lifetime', {
      type: 'number',
      default: DEFAULT_TOKEN_LIFETIME_SECONDS,
      describe: 'Seconds a login lasts; then the token is refused with TOKEN_EXPIRED and the user logs in again (default 30 days)',
    })
    .option('max-page-size', {
      type: 'number',
      default: MAX_PAGE_SIZE,
      describe: `Most rows one page of friends, groups, allusers or allgroup may hold; 1 to ${MAX_PAGE_SIZE}, the most that fits the smallest frame`,
    })
    .option('log-level', { type: 'string', default: 'info', choices: ['debug', 'info', 'warn', 'error'], describe: 'Least severe log level written to stderr' })
    .check((args) => {
      const maxFrameBytes = args.maxFrameBytes as number;
      if (!Number.isSafeInteger(maxFrameBytes) || maxFrameBytes < MIN_MAX_PAYLOAD_BYTES) {
        throw new CliError(EXIT.USAGE, `--max-frame-bytes must be a whole number, at least ${MIN_MAX_PAYLOAD_BYTES} (got ${maxFrameBytes})`, 'USAGE');
      }
      const tokenLifetime = args.tokenLifetime as number;
      if (!(tokenLifetime > 0 && tokenLifetime <= MAX_TOKEN_LIFETIME_SECONDS)) {
        throw new CliError(EXIT.USAGE, `--token-lifetime must be a number of seconds above 0 and at most ${MAX_TOKEN_LIFETIME_SECONDS} (got ${tokenLifetime})`, 'USAGE');
      }
      const maxPageSize = args.maxPageSize as number;
      if (!Number.isInteger(maxPageSize) || maxPageSize < 1 || maxPageSize > MAX_PAGE_SIZE) {
        throw new CliError(EXIT.USAGE, `--max-page-size must be a whole number from 1 to ${MAX_PAGE_SIZE} (got ${maxPageSize})`, 'USAGE');
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
      const app = await createApp({ storage: args.db === 'memory' ? 'memory' : `sqlite:${args.db}`, logger, tokenLifetimeMs: args.tokenLifetime * 1000, maxPageSize: args.maxPageSize });
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
