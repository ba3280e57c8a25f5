import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

/** The built chatctl, bundled (rolldown.config.mjs), as `npm start` and the bin run it. */
export const CLI = fileURLToPath(new URL('../../bin/chatctl.js', import.meta.url));

export function temporaryDirectory(): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), 'parley-'));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/** Collects a child's output line by line and lets a test wait for a line. */
export class Lines {
  readonly seen: string[] = [];
  private waiters: { pattern: RegExp; resolve(line: string): void }[] = [];

  constructor(stream: NodeJS.ReadableStream) {
    createInterface({ input: stream }).on('line', (line) => {
      this.seen.push(line);
      this.waiters = this.waiters.filter((w) => !(w.pattern.test(line) && (w.resolve(line), true)));
    });
  }

  /** Resolves with the first line, past or future, that matches; rejects after `ms`. */
  waitFor(pattern: RegExp, ms = 10_000): Promise<string> {
    const already = this.seen.find((line) => pattern.test(line));
    if (already !== undefined) return Promise.resolve(already);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no line matching ${pattern} in ${ms} ms; saw:\n${this.seen.join('\n')}`)), ms);
      this.waiters.push({ pattern, resolve: (line) => (clearTimeout(timer), resolve(line)) });
    });
  }
}

export interface Running {
  readonly child: ChildProcess;
  readonly stdout: Lines;
  readonly stderr: Lines;
  /** Resolves with the exit code (null if killed by a signal); rejects if it takes longer than `ms`. */
  exited(ms?: number): Promise<number | null>;
}

/** Runs chatctl with `args`, its environment added to this process's. */
export function run(args: string[], env: NodeJS.ProcessEnv = {}): Running {
  return runScript(CLI, args, env);
}

/** Runs a built script (chatctl, an example) under this Node, its environment added to this process's. */
export function runScript(script: string, args: string[], env: NodeJS.ProcessEnv = {}): Running {
  const child = spawn(process.execPath, [script, ...args], { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    stdout: new Lines(child.stdout!),
    stderr: new Lines(child.stderr!),
    exited: (ms = 15_000) =>
      Promise.race([
        exit,
        new Promise<never>((_, reject) =>
          setTimeout(() => {
            child.kill('SIGKILL');
            reject(new Error(`${basename(script)} ${args.join(' ')} still running after ${ms} ms; killed it`));
          }, ms).unref(),
        ),
      ]),
  };
}

/**
 * Starts a helper script once per argument list, waits until each says "ready" (see
 * start-signal.ts), releases them all at once, and waits for them to exit: their exit codes,
 * and what each wrote.
 */
export async function releaseTogether(script: string, argLists: readonly string[][], ms: number): Promise<{ exits: (number | null)[]; nodes: Running[] }> {
  const nodes = argLists.map((args) => runScript(script, args));
  await Promise.all(nodes.map((node) => node.stdout.waitFor(/ready/)));
  for (const node of nodes) node.child.stdin!.end('go\n');
  return { exits: await Promise.all(nodes.map((node) => node.exited(ms))), nodes };
}

export interface Outcome {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs one chatctl command to completion, feeding `input` on standard input. */
export async function chatctl(args: string[], env: NodeJS.ProcessEnv, input = ''): Promise<Outcome> {
  const running = run(args, env);
  running.child.stdin!.end(input);
  const code = await running.exited();
  return { code, stdout: running.stdout.seen.join('\n'), stderr: running.stderr.seen.join('\n') };
}

/** A real server process on a free loopback port, with its own database file. */
export class ServerProcess {
  private constructor(
    readonly running: Running,
    readonly port: number,
    readonly db: string,
  ) {}

  static async start(db: string, extra: string[] = []): Promise<ServerProcess> {
    const running = run(['serve', '--port', '0', '--db', db, ...extra]);
    const line = await running.stderr.waitFor(/"msg":"listening"/);
    return new ServerProcess(running, (JSON.parse(line) as { port: number }).port, db);
  }

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** Stops the server with a signal and waits for it to exit. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    if (this.running.child.exitCode !== null || this.running.child.signalCode !== null) return this.running.child.exitCode;
    this.running.child.kill(signal);
    return this.running.exited();
  }
}
