import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { PACKAGE_ROOT } from '../interfaces/package-root.js';
import { freePort, ngircdBinary, NGIRCD_MISSING, writeNgircdConfig } from './ngircd.js';

export type ServerKind = 'parley' | 'durable-floor' | 'floor' | 'ngircd';

/** The built chatctl, bundled, as the bin and `npm start` run it. */
export const CLI = fileURLToPath(new URL('../bin/chatctl.js', import.meta.url));
const FLOOR = fileURLToPath(new URL('./floor-relay.js', import.meta.url));
/**
 * The node flags `npm start` runs the server with (package.json's start script, up to the
 * script): parley and the floor run with them here, and the load generator too, so that all
 * three have the young generation a production server has (ADR 0020, tenth addendum).
 */
export const START_NODE_FLAGS: readonly string[] = (() => {
  const { scripts } = JSON.parse(readFileSync(new URL('package.json', PACKAGE_ROOT), 'utf8')) as { scripts: { start: string } };
  const words = scripts.start.split(/\s+/).slice(1);
  return words.slice(0, words.findIndex((word) => !word.startsWith('--')));
})();
const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 20_000;
/** What node writes to stderr when its inspector listens, and its other chatter, not worth a note. */
const DEBUGGER_LINE = /^Debugger listening on (ws:\/\/\S+)/;
const INSPECTOR_CHATTER = /^(Debugger |For help, see: https:\/\/nodejs\.org\/)/;
/** Log lines worth showing in the report: pino's warn (40) and above. */
const NOTABLE_LEVEL = 40;
/** ngircd's log lines are `[pid:level seconds] text`, the level syslog's: 4 is warning, lower is worse. */
const NGIRCD_LOG = /^\[\d+:(\d+)\s+\d+\] (.*)$/;
const NGIRCD_LISTENING = /Now listening on \[127\.0\.0\.1\]:(\d+)/;
const NGIRCD_NOTABLE_LEVEL = 4;

export interface ServerOptions {
  readonly kind: ServerKind;
  /** The parley server's `--db`: a database of the run's own. */
  readonly db: string;
  /** Run under `taskset -c 0`. */
  readonly pin: boolean;
  /** Extra node flags, before the script. */
  readonly nodeFlags: readonly string[];
  /**
   * Open the inspector on a free loopback port, so the benchmark can collect garbage and read
   * the heap before it samples memory (see HeapInspector); the server's code is unchanged.
   */
  readonly inspect?: boolean;
  /** Extra `chatctl serve` flags, for the parley server only. */
  readonly serveFlags?: readonly string[];
  /** A directory of the run's own, for ngircd's configuration. */
  readonly directory: string;
}

/** How to start one kind of server and read from its output where it listens and what went wrong. */
interface Launch {
  readonly command: readonly string[];
  /** ngircd logs to stdout; parley and the floor only to stderr. */
  readonly logsToStdout: boolean;
  /** The port, when this line says the server is listening. */
  listening(line: string): number | undefined;
  /** What to count in the report, when the line is a warning or worse. */
  notable(line: string): string | undefined;
}

/** Clock ticks per second for /proc/<pid>/stat. */
export const CLOCK_TICKS = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** A server process of either kind, listening on 127.0.0.1. */
export class ServerProcess {
  private exit: string | undefined;

  private constructor(
    readonly kind: ServerKind,
    private readonly child: ChildProcess,
    readonly port: number,
    private readonly pinned: boolean,
    /** Warnings, errors and non-JSON lines the server wrote to stderr, counted by message. */
    readonly notable: ReadonlyMap<string, number>,
    /** The inspector's WebSocket URL, when started with `inspect`. */
    readonly inspectorUrl: string | undefined,
  ) {
    child.once('exit', (code, signal) => (this.exit = signal ?? `exit ${code}`));
  }

  static async start(options: ServerOptions): Promise<ServerProcess> {
    const launch = await launchOf(options);
    const argv = options.pin ? ['taskset', '-c', '0', ...launch.command] : launch.command;
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', launch.logsToStdout ? 'pipe' : 'ignore', 'pipe'] });
    const notable = new Map<string, number>();
    let inspectorUrl: string | undefined;
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${options.kind} did not start within ${START_TIMEOUT_MS} ms`)), START_TIMEOUT_MS);
      child.once('exit', (code) => reject(new Error(`${options.kind} exited (${code}) before listening`)));
      const onLine = (line: string) => {
        const debuggerUrl = DEBUGGER_LINE.exec(line)?.[1];
        if (debuggerUrl !== undefined) inspectorUrl = debuggerUrl;
        if (debuggerUrl !== undefined || INSPECTOR_CHATTER.test(line)) return;
        const listening = launch.listening(line);
        if (listening !== undefined) {
          clearTimeout(timer);
          resolve(listening);
          return;
        }
        const key = launch.notable(line);
        if (key !== undefined) notable.set(key, (notable.get(key) ?? 0) + 1);
      };
      // Every stream piped is read to the end, so a chatty server never blocks on a full pipe.
      if (child.stdout) createInterface({ input: child.stdout }).on('line', onLine);
      createInterface({ input: child.stderr! }).on('line', onLine);
    });
    return new ServerProcess(options.kind, child, port, options.pin, notable, inspectorUrl);
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** Why the process ended, if it has. */
  get exited(): string | undefined {
    return this.exit;
  }

  /**
   * Runs untimed setup (scrypt for every registration and login) with every thread of a
   * pinned server allowed on all CPUs, then pins it back to CPU 0 for what is measured.
   */
  async withAllCpus<T>(work: () => Promise<T>): Promise<T> {
    if (!this.pinned) return work();
    setAffinity(this.pid, `0-${cpus().length - 1}`);
    try {
      return await work();
    } finally {
      if (this.exit === undefined) setAffinity(this.pid, '0');
    }
  }

  /** User plus system CPU time of the whole process, every thread included, in microseconds. */
  cpuMicros(): number {
    const fields = readFileSync(`/proc/${this.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1e6) / CLOCK_TICKS;
  }

  rssBytes(): number {
    const line = readFileSync(`/proc/${this.pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmRSS:'));
    return Number(line?.replace(/\D+/g, '') ?? 0) * 1024;
  }

  /** SIGTERM and wait (parley shuts down gracefully, so a --cpu-prof profile is written); SIGKILL if it hangs. */
  async stop(): Promise<string> {
    if (this.exit !== undefined) return this.exit;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.kill('SIGTERM');
    const timer = new Promise<'hung'>((resolve) => setTimeout(() => resolve('hung'), STOP_TIMEOUT_MS).unref());
    if ((await Promise.race([exited, timer])) === 'hung') {
      this.child.kill('SIGKILL');
      await exited;
      return `did not exit within ${STOP_TIMEOUT_MS / 1000} s of SIGTERM; killed`;
    }
    return this.exit ?? 'exited';
  }
}

async function launchOf(options: ServerOptions): Promise<Launch> {
  if (options.kind === 'ngircd') {
    const binary = ngircdBinary();
    if (binary === undefined) throw new Error(NGIRCD_MISSING);
    const config = writeNgircdConfig(options.directory, await freePort());
    return {
      command: [binary, '--nodaemon', '--config', config],
      logsToStdout: true,
      listening: (line) => {
        const match = NGIRCD_LISTENING.exec(line);
        return match ? Number(match[1]) : undefined;
      },
      notable: (line) => {
        const match = NGIRCD_LOG.exec(line);
        return !match || Number(match[1]) <= NGIRCD_NOTABLE_LEVEL ? (match?.[2] ?? line).replace(/\d+/g, 'N').slice(0, 120) : undefined;
      },
    };
  }
  const jsonLog = {
    logsToStdout: false,
    listening: (line: string) => {
      const entry = parseLogLine(line);
      return entry.msg === 'listening' && typeof entry.port === 'number' ? entry.port : undefined;
    },
    notable: (line: string) => {
      const entry = parseLogLine(line);
      return entry.level === undefined || entry.level >= NOTABLE_LEVEL ? String(entry.msg ?? line).slice(0, 120) : undefined;
    },
  };
  const nodeFlags = [...START_NODE_FLAGS, ...options.nodeFlags, ...(options.inspect ? ['--inspect=127.0.0.1:0'] : [])];
  if (options.kind === 'parley') return { command: [process.execPath, ...nodeFlags, CLI, 'serve', '--port', '0', '--db', options.db, '--log-level', 'info', ...(options.serveFlags ?? [])], ...jsonLog };
  return { command: [process.execPath, ...nodeFlags, FLOOR, '--port', '0', ...(options.kind === 'durable-floor' ? ['--db', options.db] : [])], ...jsonLog };
}

function setAffinity(pid: number, list: string): void {
  execFileSync('taskset', ['--all-tasks', '--pid', '--cpu-list', list, String(pid)], { stdio: 'ignore' });
}

function parseLogLine(line: string): { level?: number; msg?: unknown; port?: unknown } {
  try {
    const parsed = JSON.parse(line) as { level?: unknown; msg?: unknown; port?: unknown };
    return { ...parsed, level: typeof parsed.level === 'number' ? parsed.level : undefined };
  } catch {
    return {};
  }
}

/**
 * The processes one run drives: one server, or with `--nodes 2` two parley nodes sharing a
 * PostgreSQL schema and a Redis hub. Senders attach to the first and receivers to the last,
 * so with two nodes every push to a receiver crosses Redis; the CPU of all of them counts.
 */
export class Nodes {
  constructor(readonly all: readonly [ServerProcess, ...ServerProcess[]]) {}

  get kind(): ServerKind {
    return this.all[0].kind;
  }

  /** Where senders (and registrations) connect. */
  get sending(): ServerProcess {
    return this.all[0];
  }

  /** Where receivers attach. */
  get receiving(): ServerProcess {
    return this.all[this.all.length - 1]!;
  }

  /** The first node that exited, and why. */
  get exited(): string | undefined {
    return this.all.map((node) => node.exited).find((exit) => exit !== undefined);
  }

  /** User plus system CPU time of every node, in microseconds. */
  cpuMicros(): number {
    return this.all.reduce((sum, node) => sum + node.cpuMicros(), 0);
  }

  /** Untimed setup with every node allowed on all CPUs (see ServerProcess.withAllCpus). */
  withAllCpus<T>(work: () => Promise<T>): Promise<T> {
    return this.all.reduceRight<() => Promise<T>>((inner, node) => () => node.withAllCpus(inner), work)();
  }
}
