import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { percentile } from './ledger.js';
import { CLI } from './server-process.js';

/** Runs of each command line. */
const RUNS = 20;
/** A one-shot chatctl should be done within this, in seconds. */
export const STARTUP_TARGET_SECONDS = 0.25;
/** What is timed: the commands that print at once, and one that gives up at once (no login). */
const COMMAND_LINES = [['--version'], ['--help'], ['whoami']] as const;

/** One command line's wall time from spawn to exit, over RUNS runs. */
export interface StartupRow {
  readonly command: string;
  readonly runs: number;
  readonly p50: number;
  readonly p95: number;
  /** Exit statuses seen, which should be the command's usual one (whoami: 4, not logged in). */
  readonly statuses: readonly number[];
}

/** Times `chatctl --version`, `--help` and `whoami` (logged out, so it never connects), one run after another. */
export function startup(): StartupRow[] {
  const home = mkdtempSync(join(tmpdir(), 'parley-bench-startup-'));
  try {
    return COMMAND_LINES.map((args) => {
      const seconds = new Float64Array(RUNS);
      const statuses = new Set<number>();
      for (let i = 0; i < RUNS; i++) {
        const started = performance.now();
        const { status } = spawnSync(process.execPath, [CLI, ...args], { env: { ...process.env, CHATCTL_HOME: home }, stdio: 'ignore' });
        seconds[i] = (performance.now() - started) / 1000;
        statuses.add(status ?? -1);
      }
      seconds.sort();
      return { command: `chatctl ${args.join(' ')}`, runs: RUNS, p50: percentile(seconds, 50), p95: percentile(seconds, 95), statuses: [...statuses] };
    });
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}
