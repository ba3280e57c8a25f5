import { readFile } from 'node:fs/promises';
import { createSecureContext } from 'node:tls';
import { pino } from 'pino';
import { DEFAULT_MAX_QUEUED_PER_USER } from '../../../application/delivery-service.js';
import { DEFAULT_PRESENCE_TIMEOUT_MS } from '../../../application/ports/session-hub.js';
import { DEFAULT_LOCK_TIMEOUT_MS, DEFAULT_MAX_DB_CONNECTIONS } from '../../../application/ports/storage-error.js';
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { DEFAULT_TOKEN_LIFETIME_SECONDS } from '../../../application/account-service.js';
import { MAX_PAGE_SIZE } from '../../../application/paging.js';
import { DEFAULT_LOGIN_THROTTLE_LIMITS } from '../../../application/ports/login-throttle.js';
import { DEFAULT_ADMISSION_LIMITS } from '../../session/connection-admission.js';
import { DEFAULT_REQUEST_LIMITS } from '../../session/request-throttle.js';
import { DEFAULT_MAX_PAYLOAD_BYTES, MIN_MAX_PAYLOAD_BYTES } from '../../wire/index.js';
import { DEFAULT_CONNECTION_LIMITS, MAX_TIMER_MS, TcpGateway } from '../../tcp/tcp-gateway.js';
import type { ArgsOf, CliDependencies, GlobalArgs } from '../cli-context.js';
import { CliError, EXIT } from '../exit-codes.js';

export const DEFAULT_DB = 'data/chat.sqlite';

/** The storage `--db` names: a postgres:// URL, "memory", or else a SQLite file. */
export function storageOf(db: string): string {
  return db === 'memory' || /^postgres(ql)?:/.test(db) ? db : `sqlite:${db}`;
}
/** The longest `--token-lifetime`: ten years, past which a lifetime means "never" and should say so by being refused. */
const MAX_TOKEN_LIFETIME_SECONDS = 10 * 365 * 24 * 60 * 60;

/** The deadline flags, in seconds, and the connection limit each sets in milliseconds. */
const DEADLINE_FLAGS = {
  'login-timeout': { limit: 'loginTimeoutMs', describe: 'Seconds a new connection has to log in (or present a valid token)' },
  'frame-timeout': { limit: 'frameTimeoutMs', describe: 'Seconds a frame, once begun, has to arrive whole' },
  'ping-interval': { limit: 'pingIntervalMs', describe: 'Seconds of silence from an attached client before the server pings it' },
  'ping-timeout': { limit: 'pingTimeoutMs', describe: 'Seconds an attached client has to answer a ping before it is closed and counted offline' },
  'close-timeout': { limit: 'closeGraceMs', describe: 'Seconds a connection the server closes has to take its last frames before it is cut off' },
} as const;

/** The limit flags that take a positive number; `whole` ones a whole number. */
const POSITIVE_FLAGS = [
  { flag: 'max-connections-per-address', key: 'maxConnectionsPerAddress', whole: true },
  { flag: 'max-connects-per-minute', key: 'maxConnectsPerMinute', whole: true },
  { flag: 'max-requests-per-second', key: 'maxRequestsPerSecond', whole: false },
  { flag: 'max-request-burst', key: 'maxRequestBurst', whole: true },
  { flag: 'max-failed-logins-per-account', key: 'maxFailedLoginsPerAccount', whole: true },
  { flag: 'max-failed-logins-per-address', key: 'maxFailedLoginsPerAddress', whole: true },
  { flag: 'failed-login-interval', key: 'failedLoginInterval', whole: false },
  { flag: 'max-registrations-per-address', key: 'maxRegistrationsPerAddress', whole: true },
  { flag: 'registration-interval', key: 'registrationInterval', whole: false },
  { flag: 'max-db-connections', key: 'maxDbConnections', whole: true },
] as const;

const builder = (yargs: Argv<GlobalArgs>) =>
  yargs
    .option('host', { type: 'string', default: '127.0.0.1', describe: 'Address to listen on' })
    .option('port', { type: 'number', default: 7878, describe: 'TCP port; 0 picks a free one' })
    .option('db', { type: 'string', default: DEFAULT_DB, describe: 'SQLite database file, or a PostgreSQL URL postgres://user@host:port/database shared by several nodes ("memory" for a throwaway one)' })
    .option('hub', {
      type: 'string',
      default: 'in-process',
      describe: 'Where sessions meet: in-process (one server) or redis://host:port (several servers sharing one Redis)',
    })
    .option('hub-prefix', {
      type: 'string',
      default: 'parley:',
      describe: 'With --hub redis://: put before every key and channel, so several deployments can share one Redis',
    })
    .option('presence-timeout', {
      type: 'number',
      default: DEFAULT_PRESENCE_TIMEOUT_MS / 1000,
      describe: 'With --hub redis://: seconds a server that died leaves its users counted online',
    })
    .option('max-frame-bytes', {
      type: 'number',
      default: DEFAULT_MAX_PAYLOAD_BYTES,
      describe: `Largest payload one frame may carry; at least ${MIN_MAX_PAYLOAD_BYTES}, so the largest message fits`,
    })
    .options(
      Object.fromEntries(
        Object.entries(DEADLINE_FLAGS).map(([flag, { limit, describe }]) => [flag, { type: 'number', default: DEFAULT_CONNECTION_LIMITS[limit] / 1000, describe }] as const),
      ) as Record<keyof typeof DEADLINE_FLAGS, { type: 'number'; default: number; describe: string }>,
    )
    .option('tls-cert', { type: 'string', describe: 'Serve TLS on the port: the certificate chain (PEM file); needs --tls-key' })
    .option('tls-key', { type: 'string', describe: 'The private key (PEM file) of --tls-cert' })
    .option('max-queued-per-user', {
      type: 'number',
      default: DEFAULT_MAX_QUEUED_PER_USER,
      describe: 'Most unacknowledged deliveries kept for one user; sends past it are refused with QUEUE_FULL',
    })
    .option('db-lock-timeout', {
      type: 'number',
      default: DEFAULT_LOCK_TIMEOUT_MS / 1000,
      describe: 'Seconds a database write waits for a lock held elsewhere before the request answers TRY_AGAIN (on PostgreSQL also for a connection, then STORAGE_UNAVAILABLE)',
    })
    .option('max-db-connections', { type: 'number', default: DEFAULT_MAX_DB_CONNECTIONS, describe: 'Connections this server keeps to a PostgreSQL --db at most' })
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
    .option('max-registrations-per-address', {
      type: 'number',
      default: DEFAULT_LOGIN_THROTTLE_LIMITS.maxRegistrationsPerAddress,
      describe: 'Registrations one address may make at once (each hashes a password); more are refused with RATE_LIMITED',
    })
    .option('registration-interval', {
      type: 'number',
      default: DEFAULT_LOGIN_THROTTLE_LIMITS.registrationIntervalMs / 1000,
      describe: 'Seconds; once used up, one more registration per address per interval',
    })
    .option('log-level', { type: 'string', default: 'info', choices: ['debug', 'info', 'warn', 'error'], describe: 'Least severe log level written to stderr' })
    .check((args) => {
      if ((args.tlsCert === undefined) !== (args.tlsKey === undefined)) {
        throw new CliError(EXIT.USAGE, '--tls-cert and --tls-key go together: give both to serve TLS, or neither', 'USAGE');
      }
      const maxFrameBytes = args.maxFrameBytes as number;
      if (!Number.isSafeInteger(maxFrameBytes) || maxFrameBytes < MIN_MAX_PAYLOAD_BYTES) {
        throw new CliError(EXIT.USAGE, `--max-frame-bytes must be a whole number, at least ${MIN_MAX_PAYLOAD_BYTES} (got ${maxFrameBytes})`, 'USAGE');
      }
      for (const flag of Object.keys(DEADLINE_FLAGS)) {
        const seconds = args[flag] as number;
        if (!(seconds * 1000 >= 1 && seconds * 1000 <= MAX_TIMER_MS)) {
          throw new CliError(EXIT.USAGE, `--${flag} must be a number of seconds from 0.001 to ${Math.floor(MAX_TIMER_MS / 1000)} (got ${seconds})`, 'USAGE');
        }
      }
      const hub = args.hub as string;
      if (hub !== 'in-process' && !/^rediss?:\/\/[^/]/.test(hub)) {
        throw new CliError(EXIT.USAGE, `--hub must be in-process or redis://host:port (got ${hub})`, 'USAGE');
      }
      const presenceTimeout = args.presenceTimeout as number;
      if (!(presenceTimeout * 1000 >= 3 && presenceTimeout * 1000 <= MAX_TIMER_MS)) {
        throw new CliError(EXIT.USAGE, `--presence-timeout must be a number of seconds from 0.003 to ${Math.floor(MAX_TIMER_MS / 1000)} (got ${presenceTimeout})`, 'USAGE');
      }
      const maxQueued = args.maxQueuedPerUser as number;
      if (!Number.isSafeInteger(maxQueued) || maxQueued < 1) {
        throw new CliError(EXIT.USAGE, `--max-queued-per-user must be a whole number, at least 1 (got ${maxQueued})`, 'USAGE');
      }
      const lockTimeout = args.dbLockTimeout as number;
      if (!Number.isFinite(lockTimeout) || lockTimeout < 0) {
        throw new CliError(EXIT.USAGE, `--db-lock-timeout must be a number of seconds, 0 or more (got ${lockTimeout})`, 'USAGE');
      }
      const tokenLifetime = args.tokenLifetime as number;
      if (!(tokenLifetime > 0 && tokenLifetime <= MAX_TOKEN_LIFETIME_SECONDS)) {
        throw new CliError(EXIT.USAGE, `--token-lifetime must be a number of seconds above 0 and at most ${MAX_TOKEN_LIFETIME_SECONDS} (got ${tokenLifetime})`, 'USAGE');
      }
      const maxPageSize = args.maxPageSize as number;
      if (!Number.isInteger(maxPageSize) || maxPageSize < 1 || maxPageSize > MAX_PAGE_SIZE) {
        throw new CliError(EXIT.USAGE, `--max-page-size must be a whole number from 1 to ${MAX_PAGE_SIZE} (got ${maxPageSize})`, 'USAGE');
      }
      for (const { flag, key, whole } of POSITIVE_FLAGS) {
        const value = args[key] as number;
        if (!(value > 0 && Number.isFinite(value)) || (whole && !Number.isSafeInteger(value))) {
          throw new CliError(EXIT.USAGE, `--${flag} must be a positive ${whole ? 'whole ' : ''}number (got ${value})`, 'USAGE');
        }
      }
      return true;
    });

/** The deadlines the flags set, in milliseconds. */
function deadlines(args: Record<keyof typeof DEADLINE_FLAGS, number>) {
  return Object.fromEntries(Object.entries(DEADLINE_FLAGS).map(([flag, { limit }]) => [limit, args[flag as keyof typeof DEADLINE_FLAGS] * 1000]));
}

/** Reads the certificate and key `serve` was given; an unreadable file is bad usage. */
async function tlsOptions(certFile: string | undefined, keyFile: string | undefined): Promise<{ cert: Buffer; key: Buffer } | undefined> {
  if (certFile === undefined || keyFile === undefined) return undefined;
  const read = (file: string, flag: string) =>
    readFile(file).catch((error: Error) => {
      throw new CliError(EXIT.USAGE, `cannot read the ${flag} file: ${error.message}`, 'UNREADABLE_FILE');
    });
  const files = { cert: await read(certFile, '--tls-cert'), key: await read(keyFile, '--tls-key') };
  try {
    createSecureContext(files);
  } catch (error) {
    throw new CliError(EXIT.USAGE, `--tls-cert and --tls-key are not a usable certificate and key: ${(error as Error).message}`, 'BAD_CERTIFICATE');
  }
  return files;
}

/** `chatctl serve`: runs the server until SIGINT or SIGTERM, then shuts down gracefully. */
export function serveCommand({ createApp }: CliDependencies): CommandModule<GlobalArgs, ArgsOf<typeof builder>> {
  return {
    command: 'serve',
    describe: 'Run the chat server (what `npm start` runs)',
    builder,
    handler: async (args: ArgumentsCamelCase<ArgsOf<typeof builder>>) => {
      const tls = await tlsOptions(args.tlsCert, args.tlsKey);
      const logger = pino({ name: 'parley', level: args.logLevel }, pino.destination(2));
      const app = await createApp({
        storage: storageOf(args.db),
        logger,
        hub: args.hub,
        hubPrefix: args.hubPrefix,
        presenceTimeoutMs: args.presenceTimeout * 1000,
        maxQueuedPerUser: args.maxQueuedPerUser,
        busyTimeoutMs: Math.round(args.dbLockTimeout * 1000),
        maxDbConnections: args.maxDbConnections,
        tokenLifetimeMs: args.tokenLifetime * 1000,
        maxPageSize: args.maxPageSize,
        loginThrottle: {
          maxFailuresPerAccount: args.maxFailedLoginsPerAccount,
          maxFailuresPerAddress: args.maxFailedLoginsPerAddress,
          failureIntervalMs: args.failedLoginInterval * 1000,
          maxRegistrationsPerAddress: args.maxRegistrationsPerAddress,
          registrationIntervalMs: args.registrationInterval * 1000,
        },
      });
      const gateway = new TcpGateway(app, {
        host: args.host,
        port: args.port,
        logger,
        limits: {
          maxPayloadBytes: args.maxFrameBytes,
          ...deadlines(args),
          maxConnectionsPerAddress: args.maxConnectionsPerAddress,
          maxConnectsPerMinute: args.maxConnectsPerMinute,
          requestsPerSecond: args.maxRequestsPerSecond,
          requestBurst: args.maxRequestBurst,
        },
        tls,
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
