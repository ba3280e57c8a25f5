import { DEFAULT_TOKEN_LIFETIME_SECONDS } from '../../application/account-service.js';
import { DEFAULT_MAX_QUEUED_PER_USER } from '../../application/delivery-service.js';
import { MAX_PAGE_SIZE } from '../../application/paging.js';
import { DEFAULT_LOGIN_THROTTLE_LIMITS } from '../../application/ports/login-throttle.js';
import { DEFAULT_PRESENCE_GRACE_MS, DEFAULT_PRESENCE_TIMEOUT_MS } from '../../application/ports/session-hub.js';
import { DEFAULT_LOCK_TIMEOUT_MS, DEFAULT_MAX_DB_CONNECTIONS } from '../../application/ports/storage-error.js';
import { DEFAULT_ADMISSION_LIMITS } from '../session/connection-admission.js';
import { DEFAULT_REQUEST_LIMITS } from '../session/request-throttle.js';
import { DEFAULT_CONNECTION_LIMITS, MAX_TIMER_MS } from '../tcp/tcp-gateway.js';
import { DEFAULT_MAX_PAYLOAD_BYTES, MIN_MAX_PAYLOAD_BYTES } from '../wire/index.js';
import { numberSetting, stringSetting, type Settings } from './settings.js';

export const DEFAULT_DB = 'data/chat.sqlite';

/** The longest `token-lifetime`: ten years, past which a lifetime means "never" and should say so by being refused. */
const MAX_TOKEN_LIFETIME_SECONDS = 10 * 365 * 24 * 60 * 60;
const MAX_TIMER_SECONDS = Math.floor(MAX_TIMER_MS / 1000);

const isWhole = (value: number) => Number.isSafeInteger(value);
const PORT = { expected: 'a whole number from 0 to 65535', check: (v: number) => isWhole(v) && v >= 0 && v <= 65535 } as const;
const seconds = (fallbackMs: number, describe: string) =>
  numberSetting({ default: fallbackMs / 1000, describe, expected: `a number of seconds from 0.001 to ${MAX_TIMER_SECONDS}`, check: (v) => v * 1000 >= 1 && v * 1000 <= MAX_TIMER_MS });
const positive = (fallback: number, describe: string) => numberSetting({ default: fallback, describe, expected: 'a positive number', check: (v) => v > 0 && Number.isFinite(v) });
const positiveWhole = (fallback: number, describe: string) => numberSetting({ default: fallback, describe, expected: 'a positive whole number', check: (v) => v > 0 && isWhole(v) });
const oneOf = (choices: readonly string[], fallback: string, describe: string) =>
  stringSetting({ default: fallback, describe: `${describe}: ${choices.join(', ')}`, expected: `one of ${choices.join(', ')}`, check: (v) => choices.includes(v) });

/** The entries of a `web-origins` value. */
export function webOrigins(value: string): string[] {
  return value.split(',').map((origin) => origin.trim());
}

/** An origin as a browser sends one: http(s)://host[:port], nothing after. */
function isOrigin(text: string): boolean {
  try {
    const url = new URL(text);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.origin === text.replace(/\/$/, '').toLowerCase();
  } catch {
    return false;
  }
}

/**
 * Every setting of `chatctl serve`: each is a flag `--name`, an environment variable
 * `PARLEY_NAME` and a key `name` of the config file (docs/operations.md lists them).
 */
export const SERVER_SETTINGS = {
  host: stringSetting({ default: '127.0.0.1', describe: 'Address to listen on' }),
  port: numberSetting({ default: 7878, describe: 'TCP port; 0 picks a free one', ...PORT }),
  db: stringSetting({
    default: DEFAULT_DB,
    describe: 'SQLite database file, or a PostgreSQL URL postgres://user@host:port/database shared by several nodes ("memory" for a throwaway one, for trials: slower than a SQLite file, and more so as it fills)',
    secret: true,
  }),
  hub: stringSetting({
    default: 'in-process',
    describe: 'Where sessions meet: in-process (one server) or redis://host:port (several servers sharing one Redis)',
    expected: 'in-process or redis://host:port',
    check: (v) => v === 'in-process' || /^rediss?:\/\/[^/]/.test(v),
    secret: true,
  }),
  'hub-prefix': stringSetting({ default: 'parley:', describe: 'With a redis:// hub: put before every key and channel, so several deployments can share one Redis' }),
  'presence-timeout': numberSetting({
    default: DEFAULT_PRESENCE_TIMEOUT_MS / 1000,
    describe: 'With a redis:// hub: seconds a server that died leaves its users counted online',
    expected: `a number of seconds from 0.003 to ${MAX_TIMER_SECONDS}`,
    check: (v) => v * 1000 >= 3 && v * 1000 <= MAX_TIMER_MS,
  }),
  'presence-grace': seconds(DEFAULT_PRESENCE_GRACE_MS, 'Seconds a user stays without a connection before friends are told they went offline; back sooner, nothing is said'),
  'max-frame-bytes': numberSetting({
    default: DEFAULT_MAX_PAYLOAD_BYTES,
    describe: `Largest payload one frame may carry; at least ${MIN_MAX_PAYLOAD_BYTES}, so the largest message fits`,
    expected: `a whole number, at least ${MIN_MAX_PAYLOAD_BYTES}`,
    check: (v) => isWhole(v) && v >= MIN_MAX_PAYLOAD_BYTES,
  }),
  'login-timeout': seconds(DEFAULT_CONNECTION_LIMITS.loginTimeoutMs, 'Seconds a new connection has to log in (or present a valid token)'),
  'frame-timeout': seconds(DEFAULT_CONNECTION_LIMITS.frameTimeoutMs, 'Seconds a frame, once begun, has to arrive whole'),
  'ping-interval': seconds(DEFAULT_CONNECTION_LIMITS.pingIntervalMs, 'Seconds of silence from an attached client before the server pings it'),
  'ping-timeout': seconds(DEFAULT_CONNECTION_LIMITS.pingTimeoutMs, 'Seconds an attached client has to answer a ping before it is closed and counted offline'),
  'close-timeout': seconds(DEFAULT_CONNECTION_LIMITS.closeGraceMs, 'Seconds a connection the server closes has to take its last frames before it is cut off'),
  'web-host': stringSetting({ default: '127.0.0.1', describe: 'Address of the web listener (with web-port)' }),
  'web-port': numberSetting({ describe: 'Serve the web client and WebSocket connections (path /ws) on this HTTP port (0 picks a free one), with TLS when tls-cert is given; off unless given', ...PORT }),
  'web-origins': stringSetting({
    describe: 'Comma-separated origins (https://chat.example.org) whose pages may open a WebSocket, or * for any; default: the web listener\'s own',
    expected: 'a comma-separated list of origins like https://host:port, or *',
    check: (v) => webOrigins(v).every((origin) => origin === '*' || isOrigin(origin)),
  }),
  'tls-cert': stringSetting({ describe: 'Serve TLS on the port: the certificate chain (PEM file); needs tls-key' }),
  'tls-key': stringSetting({ describe: 'The private key (PEM file) of tls-cert' }),
  'max-queued-per-user': numberSetting({
    default: DEFAULT_MAX_QUEUED_PER_USER,
    describe: 'Most unacknowledged deliveries kept for one user; sends past it are refused with QUEUE_FULL',
    expected: 'a whole number, at least 1',
    check: (v) => isWhole(v) && v >= 1,
  }),
  'db-lock-timeout': numberSetting({
    default: DEFAULT_LOCK_TIMEOUT_MS / 1000,
    describe: 'Seconds a database write waits for a lock held elsewhere before the request answers TRY_AGAIN (on PostgreSQL also for a connection, then STORAGE_UNAVAILABLE)',
    expected: 'a number of seconds, 0 or more',
    check: (v) => Number.isFinite(v) && v >= 0,
  }),
  'max-db-connections': positiveWhole(DEFAULT_MAX_DB_CONNECTIONS, 'Connections this server keeps to a PostgreSQL database at most'),
  'token-lifetime': numberSetting({
    default: DEFAULT_TOKEN_LIFETIME_SECONDS,
    describe: 'Seconds a login lasts; then the token is refused with TOKEN_EXPIRED and the user logs in again (default 30 days)',
    expected: `a number of seconds above 0 and at most ${MAX_TOKEN_LIFETIME_SECONDS}`,
    check: (v) => v > 0 && v <= MAX_TOKEN_LIFETIME_SECONDS,
  }),
  'max-page-size': numberSetting({
    default: MAX_PAGE_SIZE,
    describe: `Most rows one page of friends, groups, allusers or allgroup may hold; 1 to ${MAX_PAGE_SIZE}, the most that fits the smallest frame`,
    expected: `a whole number from 1 to ${MAX_PAGE_SIZE}`,
    check: (v) => Number.isInteger(v) && v >= 1 && v <= MAX_PAGE_SIZE,
  }),
  'max-connections-per-address': positiveWhole(DEFAULT_ADMISSION_LIMITS.maxConnectionsPerAddress, 'Connections one address may hold open'),
  'max-connects-per-minute': positiveWhole(DEFAULT_ADMISSION_LIMITS.maxConnectsPerMinute, 'New connections one address may open a minute'),
  'max-requests-per-second': positive(DEFAULT_REQUEST_LIMITS.requestsPerSecond, 'Requests a connection, and a session, may average a second; more wait their turn'),
  'max-request-burst': positiveWhole(DEFAULT_REQUEST_LIMITS.requestBurst, 'Requests a connection, and a session, may make at once above that average'),
  'max-failed-logins-per-account': positiveWhole(DEFAULT_LOGIN_THROTTLE_LIMITS.maxFailuresPerAccount, 'Failed logins an account takes from unknown addresses before they are slowed'),
  'max-failed-logins-per-address': positiveWhole(DEFAULT_LOGIN_THROTTLE_LIMITS.maxFailuresPerAddress, 'Failed logins an address makes before it is slowed'),
  'failed-login-interval': positive(DEFAULT_LOGIN_THROTTLE_LIMITS.failureIntervalMs / 1000, 'Seconds; once slowed, one more login attempt per interval'),
  'max-registrations-per-address': positiveWhole(
    DEFAULT_LOGIN_THROTTLE_LIMITS.maxRegistrationsPerAddress,
    'Registrations one address may make at once (each hashes a password); more are refused with RATE_LIMITED',
  ),
  'registration-interval': positive(DEFAULT_LOGIN_THROTTLE_LIMITS.registrationIntervalMs / 1000, 'Seconds; once used up, one more registration per address per interval'),
  'log-level': oneOf(['debug', 'info', 'warn', 'error'], 'info', 'Least severe level logged'),
  'log-format': oneOf(['auto', 'pretty', 'json'], 'auto', 'Log lines for people or programs; auto is pretty on a terminal, JSON otherwise'),
  'log-file': stringSetting({ describe: 'Append the log (JSON lines) to this file instead of standard error; `promote` writes its audit line there too' }),
  'metrics-host': stringSetting({ default: '127.0.0.1', describe: 'Address of the metrics and health listener (with metrics-port)' }),
  'metrics-port': numberSetting({ describe: 'Serve GET /metrics (Prometheus) and GET /health on this HTTP port (0 picks a free one); off unless given', ...PORT }),
} as const satisfies Settings;

/** The settings `promote` shares with the server: it opens the same database and audits to the same log. */
export const OPERATOR_SETTINGS = { db: SERVER_SETTINGS.db, 'log-file': SERVER_SETTINGS['log-file'] } as const;
