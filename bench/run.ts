/**
 * `npm run bench`: drives the real parley server and the floor relay (same framing, no
 * auth, no storage) with one load generator, and prints how far apart they are. Servers
 * run on CPU 0, this process on CPU 1 when there are two and `taskset` exists. With
 * `--nodes 2` the traffic workloads run on two parley nodes sharing the `--db` schema and
 * the `--hub` Redis, senders on one and receivers on the other. The table
 * goes to stdout and bench/results/latest.{md,json}; the exit status is 1 when anything
 * was lost, duplicated or refused. Every loop is bounded; nothing leaves 127.0.0.1.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Accounts } from './accounts.js';
import { runDatabase, runHub } from './database.js';
import { HeapInspector } from './heap-inspector.js';
import { ircGroupFanOut, ircIdleMemory, ircPrivatePairs } from './irc-workloads.js';
import { ngircdBinary, NGIRCD_MISSING } from './ngircd.js';
import { HELP, parseOptions, UsageError, type Options } from './options.js';
import { failuresOf, renderMarkdown, type Report } from './report.js';
import { Nodes, ServerProcess, START_NODE_FLAGS, type ServerKind } from './server-process.js';
import { startup, type StartupRow } from './startup.js';
import {
  flood,
  groupFanOut,
  idleMemory,
  light,
  offlineQueue,
  privatePairs,
  type FloodRow,
  type MemoryRow,
  type TrafficRow,
  type WorkloadContext,
  type WorkloadName,
} from './workloads.js';

const RESULTS = fileURLToPath(new URL('../../bench/results/', import.meta.url));
/** Set in the re-executed, pinned load generator. */
const PINNED_ENV = 'PARLEY_BENCH_LOADGEN_PINNED';
const SERVERS: readonly ServerKind[] = ['parley', 'durable-floor', 'floor', 'ngircd'];
/** However the servers behave, the run ends by then. */
const HARD_LIMIT_SECONDS = { quick: 600, full: 1500 };
/**
 * The throughput workloads' load generator stands for hundreds of clients on one address, each
 * user sending far more than one person would: they measure the server's speed, not its limits,
 * so those are lifted. The flood workload runs on a server of its own with the defaults.
 */
const LIFTED_LIMITS = ['--max-connections-per-address', '1000000', '--max-connects-per-minute', '1000000', '--max-requests-per-second', '1000000', '--max-request-burst', '1000000', '--max-registrations-per-address', '1000000'];

interface TrafficWorkload {
  readonly name: WorkloadName;
  run(context: WorkloadContext): Promise<TrafficRow[]>;
  readonly parleyOnly?: boolean;
  /** The same shape in IRC, for ngircd; ngircd skips the workloads without one. */
  runIrc?(context: WorkloadContext): Promise<TrafficRow[]>;
}

/** In the order they run, all on one server process per kind. */
const TRAFFIC_WORKLOADS: readonly TrafficWorkload[] = [
  { name: 'light', run: light },
  { name: 'S1', run: privatePairs, runIrc: ircPrivatePairs },
  { name: 'S2', run: groupFanOut, runIrc: ircGroupFanOut },
  { name: 'offline', run: offlineQueue, parleyOnly: true },
];

interface Collected {
  readonly traffic: TrafficRow[];
  readonly memory: MemoryRow[];
  readonly flood: FloodRow[];
  readonly startup: StartupRow[];
  readonly serverNotes: string[];
  readonly failures: string[];
}

const running = new Set<ServerProcess>();

function progress(message: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

function hasTaskset(): boolean {
  try {
    execFileSync('taskset', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * Two nodes share CPU 0, so the load generator keeps CPU 1 to itself as in a one-node run and
 * the CPU per delivery stays comparable; PostgreSQL and Redis are left to the scheduler.
 */
function pinningPlan({ nodes, db, hub }: Options): { pin: boolean; description: string } {
  if (cpus().length < 2) return { pin: false, description: `unpinned: only ${cpus().length} CPU` };
  if (!hasTaskset()) return { pin: false, description: 'unpinned: taskset (util-linux) not found' };
  const servers = nodes > 1 ? `servers on CPU 0 (taskset -c 0), both parley nodes sharing it` : 'servers on CPU 0 (taskset -c 0)';
  const services = [db && 'PostgreSQL', hub && 'Redis'].filter(Boolean).join(' and ');
  return { pin: true, description: `pinned: ${servers}, load generator on CPU 1 (taskset -c 1)${services ? `, ${services} unpinned` : ''}` };
}

/** Runs this very script again under `taskset -c 1`; resolves with its exit status. */
function rerunPinned(): Promise<number> {
  const nodeFlags = [...START_NODE_FLAGS.filter((flag) => !process.execArgv.includes(flag)), ...process.execArgv];
  const child = spawn('taskset', ['-c', '1', process.execPath, ...nodeFlags, process.argv[1]!, ...process.argv.slice(2)], {
    stdio: 'inherit',
    env: { ...process.env, [PINNED_ENV]: '1' },
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => child.kill(signal));
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1))));
}

/**
 * Starts servers of their own for `work` (`count` parley nodes on one database and hub, or
 * one floor), stops them after, clears their schema and hub keys, and notes how each behaved.
 */
async function withServer(
  kind: ServerKind,
  options: Options,
  pin: boolean,
  out: Collected,
  work: (context: WorkloadContext) => Promise<void>,
  { serveFlags = LIFTED_LIMITS, count = 1, inspect = false }: { serveFlags?: readonly string[]; count?: number; inspect?: boolean } = {},
): Promise<void> {
  const directory = mkdtempSync(join(tmpdir(), 'parley-bench-'));
  const database = await runDatabase(kind === 'parley' ? options.db : undefined, directory);
  const hub = await runHub(kind === 'parley' ? options.hub : undefined).catch(async (error: unknown) => {
    await database.drop();
    throw error;
  });
  const started: ServerProcess[] = [];
  /** Stops the servers started so far and removes what the run left; resolves with how each stopped. */
  const clearAway = async () => {
    const statuses = await Promise.all(started.map((server) => server.stop()));
    started.forEach((server) => running.delete(server));
    rmSync(directory, { recursive: true, force: true });
    await database.drop();
    await hub.drop();
    return statuses;
  };
  try {
    // One after the other: the first applies the migrations, the others find them applied.
    for (let n = 0; n < (kind === 'parley' ? count : 1); n++) {
      const server = await ServerProcess.start({ kind, db: database.db, directory, pin, nodeFlags: kind === 'parley' ? options.serverFlags : [], serveFlags: [...serveFlags, ...hub.serveFlags], inspect });
      started.push(server);
      running.add(server);
      progress(`${kind} started, pid ${server.pid}, port ${server.port}`);
    }
  } catch (error) {
    await clearAway();
    throw error;
  }
  const nodes = new Nodes(started as [ServerProcess, ...ServerProcess[]]);
  const accounts = new Accounts(nodes, (message) => progress(`${kind} ${message}`));
  try {
    await work({ nodes, accounts, scale: options.scale, capMs: options.capSeconds * 1000 });
  } finally {
    const died = started.map((server) => server.exited);
    const statuses = await clearAway();
    const setup = kind === 'ngircd' ? 'setup: IRC registrations (NICK, USER, wait for 001), untimed' : `setup: registered and logged in ${accounts.users} user${accounts.users === 1 ? '' : 's'} in ${accounts.setupSeconds.toFixed(1)} s`;
    started.forEach((server, n) => {
      const role = started.length === 1 ? '' : n === 0 ? ' (senders)' : ' (receivers)';
      const logged = [...server.notable].map(([msg, count]) => `"${msg}" ×${count}`).join(', ');
      const end = died[n] ? `DIED during the run (${died[n]})` : `stopped by SIGTERM: ${statuses[n]}`;
      out.serverNotes.push(`${kind} pid ${server.pid}${role}: ${setup}; ${end}; ${logged ? `logged ${logged}` : 'logged nothing above info'}`);
      if (died[n]) out.failures.push(`${kind} pid ${server.pid} died during the run (${died[n]})`);
    });
  }
}

async function runTraffic(kind: ServerKind, options: Options, pin: boolean, out: Collected): Promise<void> {
  const selected = TRAFFIC_WORKLOADS.filter((w) => options.only.has(w.name) && (kind === 'ngircd' ? w.runIrc : kind === 'parley' || !w.parleyOnly));
  if (selected.length === 0) return;
  await withServer(kind, options, pin, out, async (context) => {
    for (const workload of selected) {
      await attempt(`${kind} ${workload.name}`, out, async () => {
        const rows = await (kind === 'ngircd' ? workload.runIrc! : workload.run)(context);
        out.traffic.push(...rows);
        return rows.map((r) => `${r.workload} ${Math.round(r.throughput)}/s`).join(', ');
      });
    }
  }, { count: options.nodes });
}

async function runMemory(kind: ServerKind, options: Options, pin: boolean, out: Collected): Promise<void> {
  // The durable floor's connections are the floor's: storage keeps nothing per connection.
  if (!options.only.has('S4') || kind === 'durable-floor') return;
  await withServer(kind, options, pin, out, async (context) => {
    await attempt(`${kind} S4 on a fresh server`, out, async () => {
      const server = context.nodes.receiving;
      if (kind === 'ngircd') {
        const row = await ircIdleMemory(context);
        out.memory.push(row);
        return `${(row.perConnectionBytes / 1024).toFixed(1)} KiB per added connection (RSS)`;
      }
      if (server.inspectorUrl === undefined) throw new Error('the server did not say where its inspector listens');
      const inspector = await HeapInspector.connect(server.inspectorUrl);
      try {
        const row = await idleMemory(context, inspector);
        out.memory.push(row);
        return `${(row.perConnectionBytes / 1024).toFixed(1)} KiB per added connection (settled RSS), ${(row.heapPerConnectionBytes / 1024).toFixed(1)} KiB of it JavaScript heap`;
      } finally {
        await inspector.close();
      }
    });
  }, { inspect: true });
}

/** The flood workload, parley only: the floor has no limits to hold a flood back. */
async function runFlood(kind: ServerKind, options: Options, pin: boolean, out: Collected): Promise<void> {
  if (!options.only.has('flood') || kind !== 'parley') return;
  const defaults: readonly string[] = [];
  await withServer(kind, options, pin, out, async (context) => {
    await attempt(`${kind} flood`, out, async () => {
      const row = await flood(context);
      out.flood.push(row);
      return `calm p99 ${row.calmP99.toFixed(2)} ms, under flood ${row.floodedP99.toFixed(2)} ms (${row.ratio.toFixed(2)}×)`;
    });
  }, { serveFlags: defaults });
}

/** Runs one workload; one that breaks is a failure of the run, and the others still run. */
async function attempt(label: string, out: Collected, work: () => Promise<string>): Promise<void> {
  const started = performance.now();
  progress(`${label}…`);
  try {
    const summary = await work();
    progress(`${label} done in ${((performance.now() - started) / 1000).toFixed(1)} s: ${summary}`);
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    out.failures.push(`${label} broke: ${why}`);
    progress(`${label} BROKE: ${why}`);
  }
}

function sortRows(rows: TrafficRow[]): TrafficRow[] {
  const order = ['light cold', 'light', 'S1', 'S2', 'offline write', 'offline drain'];
  return rows.sort((a, b) => order.indexOf(a.workload) - order.indexOf(b.workload) || SERVERS.indexOf(a.server) - SERVERS.indexOf(b.server));
}

function writeResults(report: Report): void {
  const markdown = renderMarkdown(report);
  process.stdout.write(`\n${markdown}`);
  mkdirSync(RESULTS, { recursive: true });
  writeFileSync(join(RESULTS, 'latest.md'), markdown);
  writeFileSync(join(RESULTS, 'latest.json'), `${JSON.stringify(report, null, 2)}\n`);
}

async function bench(options: Options, pinning: { pin: boolean; description: string }): Promise<number> {
  const startedAt = performance.now();
  const loadAtStart = loadavg();
  const out: Collected = { traffic: [], memory: [], flood: [], startup: [], serverNotes: [], failures: [] };
  if (options.only.has('startup')) {
    await attempt('chatctl start-up', out, async () => {
      out.startup.push(...startup());
      return out.startup.map((row) => `${row.command} p50 ${row.p50.toFixed(3)} s`).join(', ');
    });
  }
  for (const kind of options.servers) {
    if (kind === 'ngircd' && ngircdBinary() === undefined) {
      progress(`${NGIRCD_MISSING}; skipping it`);
      out.serverNotes.push(`ngircd skipped: ${NGIRCD_MISSING}`);
      continue;
    }
    await runTraffic(kind, options, pinning.pin, out);
    await runMemory(kind, options, pinning.pin, out);
    await runFlood(kind, options, pinning.pin, out);
  }
  const failures = [...failuresOf(out.traffic), ...out.flood.filter((row) => row.calmLost > 0).map((row) => `${row.server} flood: ${row.calmLost} calm messages lost or refused`), ...out.failures];
  writeResults({
    at: new Date().toISOString(),
    mode: options.quick ? 'quick' : 'full',
    machine: `${cpus().length} × ${cpus()[0]?.model.trim()}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`,
    storage: options.db === undefined ? 'a SQLite file' : `PostgreSQL at ${new URL(options.db).host}${new URL(options.db).pathname}, a fresh schema per server (or pair of nodes), dropped after`,
    hub: options.hub === undefined ? 'in-process' : `Redis at ${new URL(options.hub).host}, a key and channel prefix per server (or pair of nodes), its keys deleted after`,
    nodes:
      options.nodes === 1
        ? 'one parley process'
        : `light, S1, S2 and offline on ${options.nodes} parley nodes sharing the schema and the hub: senders attached to the first, receivers to the second, so every push to a receiver crosses Redis; server CPU is the sum over the nodes. S4 and flood on one node`,
    loadAverage: { start: loadAtStart, end: loadavg() },
    pinning: pinning.description,
    nodeFlags: `node flags, as \`npm start\` gives them: ${START_NODE_FLAGS.join(' ') || 'none'} for parley, the floor and the load generator${options.serverFlags.length > 0 ? `; parley also ${options.serverFlags.join(' ')}` : ''}`,
    capSeconds: options.capSeconds,
    durationSeconds: (performance.now() - startedAt) / 1000,
    traffic: sortRows(out.traffic),
    memory: out.memory,
    flood: out.flood,
    startup: out.startup,
    serverNotes: out.serverNotes,
    failures,
  });
  return failures.length === 0 ? 0 : 1;
}

async function main(): Promise<number> {
  let options: Options;
  if (process.argv.slice(2).some((argument) => argument === '--help' || argument === '-h')) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`${error.message}\n`);
    return 2;
  }
  const pinning = pinningPlan(options);
  if (pinning.pin && process.env[PINNED_ENV] !== '1') return rerunPinned();
  if (!pinning.pin) progress(pinning.description);
  let givingUp = false;
  const giveUp = (why: string, status: number) => {
    if (givingUp) return;
    givingUp = true;
    progress(why);
    void Promise.all([...running].map((server) => server.stop())).finally(() => process.exit(status));
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => giveUp(`${signal}: stopping the servers`, 130));
  const limit = HARD_LIMIT_SECONDS[options.quick ? 'quick' : 'full'];
  setTimeout(() => giveUp(`gave up after ${limit} s: a server stopped answering?`, 1), limit * 1000).unref();
  return bench(options, pinning);
}

process.exit(await main());
