import type { ServerKind } from './server-process.js';
import { WORKLOADS, type Scale, type WorkloadName } from './workloads.js';

export interface Options {
  readonly quick: boolean;
  readonly only: ReadonlySet<WorkloadName>;
  readonly servers: readonly ServerKind[];
  /** Extra node flags for the parley server process, such as `--cpu-prof --cpu-prof-dir=/tmp/prof`. */
  readonly serverFlags: readonly string[];
  /** Per workload and server: past this, no new message is sent. */
  readonly capSeconds: number;
  readonly scale: Scale;
  /** `--db postgres://…`: run parley on PostgreSQL, each server in a fresh schema; SQLite when absent. */
  readonly db?: string;
  /** `--hub redis://…`: parley's session hub, each run under a key prefix of its own; in-process when absent. */
  readonly hub?: string;
  /** Parley nodes the traffic workloads run on; 2 needs `--db` and `--hub`, which the nodes share. */
  readonly nodes: number;
}

export const FULL: Scale = {
  lightMessages: 500,
  lightWarmUp: 2_000,
  pairs: 100,
  perPair: 10_000,
  members: 100,
  groupSenders: 4,
  perGroupSender: 5_000,
  offlinePerPair: 50,
  idleConnections: 2_000,
  idleSeconds: 10,
  memorySteps: 4,
  window: 16,
  calmMessages: 600,
};

export const QUICK: Scale = {
  ...FULL,
  lightMessages: 200,
  lightWarmUp: 1_000,
  perPair: 500,
  perGroupSender: 250,
  offlinePerPair: 10,
  idleConnections: 1_000,
  idleSeconds: 2,
  calmMessages: 200,
};

const DEFAULT_CAP_SECONDS = { full: 90, quick: 10 };

const SERVERS: readonly ServerKind[] = ['parley', 'durable-floor', 'floor', 'ngircd'];
/** ngircd, the IRC peer, runs only when asked for. */
const DEFAULT_SERVERS: readonly ServerKind[] = ['parley', 'floor'];

export const USAGE = `usage: npm run bench -- [--quick] [--only ${WORKLOADS.join(',')}] [--servers ${SERVERS.join(',')}] [--server-flags "<node flags for parley>"] [--cap <seconds>] [--db postgres://user@host:port/database] [--hub redis://host:port] [--nodes 1|2]`;

/** What `npm run bench -- --help` prints. */
export const HELP = `${USAGE}

Runs each workload against each server, one server at a time, and prints the tables.
Server and load generator are pinned to different cores (taskset) when there are two.

  --quick            a smaller run (under 2 minutes) with the same shapes
  --only LIST        the workloads to run, comma-separated: ${WORKLOADS.join(', ')}
  --servers LIST     the servers to compare: parley, floor (the minimal relay in bench/),
                     durable-floor (the floor storing every delivery in parley's SQLite
                     queue before it answers, removing it on ack), ngircd (Debian's IRC
                     daemon, when installed); default parley,floor
  --server-flags F   node flags for parley's server, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof"
                     (summarise a profile with: node dist/bench/profile-summary.js <file> 30 --last 15)
  --cap SECONDS      stop a traffic workload after this long (default ${DEFAULT_CAP_SECONDS.full}, quick ${DEFAULT_CAP_SECONDS.quick})
  --db URL           parley on PostgreSQL (postgres://user@host:port/database) instead of SQLite
  --hub URL          parley's session hub on Redis (redis://host:port)
  --nodes 1|2        two parley processes sharing --db and --hub
  --help, -h         this text`;

export class UsageError extends Error {}

/** The value of a standalone script's count option (`--rounds 40`): a whole number from 1, or undefined. */
export function countArgument(value: string | undefined): number | undefined {
  return value !== undefined && Number.isInteger(Number(value)) && Number(value) > 0 ? Number(value) : undefined;
}

/** Runs a bench script's `main`, answering a `UsageError` with its message and exit status 2. */
export async function runScript(main: () => Promise<void>): Promise<void> {
  try {
    await main();
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exitCode = 2;
  }
}

/** Reads the command line; `--name value` and `--name=value` both work, so a value may start with "--". */
export function parseOptions(argv: readonly string[]): Options {
  let quick = false;
  let only: Set<WorkloadName> = new Set(WORKLOADS);
  let servers: ServerKind[] = [...DEFAULT_SERVERS];
  let serverFlags: string[] = [];
  let cap: number | undefined;
  let db: string | undefined;
  let hub: string | undefined;
  let nodes = 1;
  for (let i = 0; i < argv.length; i++) {
    const [name, inline] = splitArgument(argv[i]!);
    const value = () => inline ?? argv[++i] ?? fail(`${name} needs a value`);
    if (name === '--quick') quick = true;
    else if (name === '--only') only = parseWorkloads(value());
    else if (name === '--servers') servers = parseServers(value());
    else if (name === '--server-flags') serverFlags = value().split(/\s+/).filter(Boolean);
    else if (name === '--cap') cap = positive(value());
    else if (name === '--db') db = postgresUrl(value());
    else if (name === '--hub') hub = redisUrl(value());
    else if (name === '--nodes') nodes = nodeCount(value());
    else fail(`unknown argument ${argv[i]}`);
  }
  if (nodes > 1 && (db === undefined || hub === undefined)) fail('--nodes 2 needs --db postgres://… and --hub redis://…, which the nodes share');
  return {
    quick,
    only,
    servers,
    serverFlags,
    capSeconds: cap ?? (quick ? DEFAULT_CAP_SECONDS.quick : DEFAULT_CAP_SECONDS.full),
    scale: quick ? QUICK : FULL,
    ...(db === undefined ? {} : { db }),
    ...(hub === undefined ? {} : { hub }),
    nodes,
  };
}

function splitArgument(argument: string): [string, string | undefined] {
  const equals = argument.indexOf('=');
  return argument.startsWith('--') && equals > 0 ? [argument.slice(0, equals), argument.slice(equals + 1)] : [argument, undefined];
}

function parseServers(list: string): ServerKind[] {
  const chosen = list.split(',').map((s) => s.trim());
  for (const kind of chosen) if (!SERVERS.includes(kind as ServerKind)) fail(`unknown server "${kind}"; choose from ${SERVERS.join(', ')}`);
  return SERVERS.filter((kind) => chosen.includes(kind));
}

function parseWorkloads(list: string): Set<WorkloadName> {
  const chosen = new Set<WorkloadName>();
  for (const wanted of list.split(',').map((w) => w.trim()).filter(Boolean)) {
    const workload = WORKLOADS.find((w) => w.toLowerCase() === wanted.toLowerCase());
    if (!workload) fail(`unknown workload "${wanted}"; choose from ${WORKLOADS.join(', ')}`);
    chosen.add(workload);
  }
  return chosen;
}

function postgresUrl(text: string): string {
  if (!/^postgres(ql)?:\/\/./.test(text)) fail(`--db wants a PostgreSQL URL such as postgres://postgres@127.0.0.1:5432/test, not "${text}"`);
  return text;
}

function redisUrl(text: string): string {
  if (!/^rediss?:\/\/./.test(text)) fail(`--hub wants a Redis URL such as redis://127.0.0.1:6379, not "${text}"`);
  return text;
}

function nodeCount(text: string): number {
  if (text !== '1' && text !== '2') fail(`--nodes wants 1 or 2, not "${text}"`);
  return Number(text);
}

function positive(text: string): number {
  const n = Number(text);
  if (!(n > 0)) fail(`--cap wants a positive number of seconds, not "${text}"`);
  return n;
}

function fail(message: string): never {
  throw new UsageError(`${message}\n${USAGE}`);
}
