import { readFile } from 'node:fs/promises';
import { createSecureContext } from 'node:tls';
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { MetricsServer } from '../../metrics/metrics-server.js';
import { PrometheusMetrics } from '../../metrics/prometheus-metrics.js';
import { TcpGateway } from '../../tcp/tcp-gateway.js';
import { WebGateway } from '../../web/web-gateway.js';
import type { ArgsOf, CliDependencies, GlobalArgs } from '../cli-context.js';
import { CliError, EXIT } from '../exit-codes.js';
import { serverLogger } from '../server-logger.js';
import { SERVER_SETTINGS, webOrigins } from '../server-settings.js';
import { envName, formatSettings, resolveSettings, settingOptions, type Values } from '../settings.js';

/** The storage `db` names: a postgres:// URL, "memory", or else a SQLite file. */
export function storageOf(db: string): string {
  return db === 'memory' || /^postgres(ql)?:/.test(db) ? db : `sqlite:${db}`;
}

/** The config file: `--config`, else $PARLEY_CONFIG; none by default. */
export function configFile(flag: string | undefined, env: NodeJS.ProcessEnv): string | undefined {
  return flag ?? (env[envName('config')] || undefined);
}

const builder = (yargs: Argv<GlobalArgs>) =>
  yargs
    .options(settingOptions(SERVER_SETTINGS))
    .option('config', { type: 'string', describe: `TOML file of settings, one \`name = value\` per setting flag [env ${envName('config')}]` })
    .option('print-config', { type: 'boolean', default: false, describe: 'Print the effective settings as TOML, each with where it came from, and exit' })
    .epilogue('Each setting is a flag, an environment variable and a config file key; a flag wins over the environment, which wins over the file (docs/operations.md).');

type ServerSettings = Values<typeof SERVER_SETTINGS>;

/** The settings no single value's check covers. */
function checkTogether(settings: ServerSettings): void {
  if ((settings['tls-cert'] === undefined) !== (settings['tls-key'] === undefined)) {
    throw new CliError(EXIT.USAGE, '--tls-cert and --tls-key go together: give both to serve TLS, or neither', 'BAD_SETTING');
  }
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
      const resolved = resolveSettings(SERVER_SETTINGS, args, process.env, configFile(args.config, process.env));
      const settings = resolved.values;
      checkTogether(settings);
      if (args.printConfig) return void process.stdout.write(formatSettings(SERVER_SETTINGS, resolved));
      // Heard from now on: a signal during start-up (or just after `listening`) stops the server cleanly once it is up.
      const stopped = new Promise<NodeJS.Signals>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      const tls = await tlsOptions(settings['tls-cert'], settings['tls-key']);
      const logger = serverLogger({ level: settings['log-level'], format: settings['log-format'], file: settings['log-file'] });
      const app = await createApp({
        storage: storageOf(settings.db),
        logger,
        hub: settings.hub,
        hubPrefix: settings['hub-prefix'],
        presenceTimeoutMs: settings['presence-timeout'] * 1000,
        presenceGraceMs: settings['presence-grace'] * 1000,
        maxQueuedPerUser: settings['max-queued-per-user'],
        busyTimeoutMs: Math.round(settings['db-lock-timeout'] * 1000),
        maxDbConnections: settings['max-db-connections'],
        tokenLifetimeMs: settings['token-lifetime'] * 1000,
        maxPageSize: settings['max-page-size'],
        loginThrottle: {
          maxFailuresPerAccount: settings['max-failed-logins-per-account'],
          maxFailuresPerAddress: settings['max-failed-logins-per-address'],
          failureIntervalMs: settings['failed-login-interval'] * 1000,
          maxRegistrationsPerAddress: settings['max-registrations-per-address'],
          registrationIntervalMs: settings['registration-interval'] * 1000,
        },
      });
      const metrics: PrometheusMetrics = new PrometheusMetrics({ stats: () => stats(), queueDepth: () => app.delivery.waiting() });
      const limits = {
        maxPayloadBytes: settings['max-frame-bytes'],
        loginTimeoutMs: settings['login-timeout'] * 1000,
        frameTimeoutMs: settings['frame-timeout'] * 1000,
        pingIntervalMs: settings['ping-interval'] * 1000,
        pingTimeoutMs: settings['ping-timeout'] * 1000,
        closeGraceMs: settings['close-timeout'] * 1000,
        maxConnectionsPerAddress: settings['max-connections-per-address'],
        maxConnectsPerMinute: settings['max-connects-per-minute'],
        requestsPerSecond: settings['max-requests-per-second'],
        requestBurst: settings['max-request-burst'],
      };
      const gateway = new TcpGateway(app, { host: settings.host, port: settings.port, logger, limits, tls, observer: metrics });
      // One set of guards: an address's connections and a token's requests count over TCP and WebSocket together.
      const web = settings['web-port'] === undefined
        ? undefined
        : new WebGateway(app, {
            host: settings['web-host'],
            port: settings['web-port'],
            logger,
            limits,
            tls,
            observer: metrics,
            guards: gateway.guards,
            origins: settings['web-origins'] === undefined ? undefined : webOrigins(settings['web-origins']),
          });
      const gateways = web ? [gateway, web] : [gateway];
      const stats = () =>
        gateways.map((g) => g.stats()).reduce((sum, one) => ({ connections: sum.connections + one.connections, attachedUsers: sum.attachedUsers + one.attachedUsers }));
      const monitor = settings['metrics-port'] === undefined
        ? undefined
        : new MetricsServer({ host: settings['metrics-host'], port: settings['metrics-port'], registry: metrics.registry, probe: () => app.delivery.waiting() });
      try {
        await gateway.listen();
        await web?.listen();
        if (monitor) {
          const { address, port } = await monitor.listen();
          logger.info({ host: address, port }, 'metrics listening');
        }
      } catch (error) {
        await Promise.all(gateways.map((g) => g.close()));
        await app.close();
        throw error;
      }
      const signal = await stopped;
      logger.info({ signal }, 'shutting down');
      await monitor?.close();
      await Promise.all(gateways.map((g) => g.close()));
      await app.close();
    },
  };
}
