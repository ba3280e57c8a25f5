/**
 * Where a server's time went: `node dist/bench/profile-summary.js <file.cpuprofile> [top] [--last <seconds>]`
 * reads a V8 CPU profile (from `npm run bench -- --server-flags "--cpu-prof --cpu-prof-dir=…"`)
 * and prints the self time of the busiest functions and of each package, as Markdown.
 * `--last 15` counts only the profile's last 15 seconds, leaving the benchmark's set-up
 * (registrations, logins) out of a workload's figures.
 * Self time is what a function spent in its own code, callees excluded, so the rows add up
 * to the whole profile; shares are of the busy time, `(idle)` (the event loop waiting) left out.
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
}

interface Profile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

const DEFAULT_TOP = 25;

/** Microseconds of self time per profile node id, over the samples of the last `lastUs` (all when undefined). */
function selfTimes(profile: Profile, lastUs: number | undefined): Map<number, number> {
  const at: number[] = [];
  profile.timeDeltas.reduce((t, delta, i) => (at[i] = t + delta), 0);
  const from = lastUs === undefined ? -Infinity : (at[at.length - 1] ?? 0) - lastUs;
  const times = new Map<number, number>();
  profile.samples.forEach((id, i) => {
    if (at[i]! >= from) times.set(id, (times.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });
  return times;
}

const IDLE = '(idle)';

/**
 * The package or part a function belongs to: a dependency by name, a parley layer, Node's
 * JavaScript, Node's native code (socket writes, buffers: frames without a script), or V8's
 * pseudo-frames such as `(garbage collector)`.
 */
function packageOf(url: string, functionName: string): string {
  const dependency = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (dependency) return dependency[1]!;
  if (url.startsWith('node:')) return 'node (JavaScript)';
  if (url.includes('/dist/')) return `parley ${url.split('/dist/')[1]!.split('/')[0]!.replace(/\.js$/, '')}`;
  if (url !== '') return url;
  return functionName.startsWith('(') ? functionName : 'node (native: socket writes, buffers)';
}

function sortedTop(totals: Map<string, number>, top: number): [string, number][] {
  return [...totals].sort((a, b) => b[1] - a[1]).slice(0, top);
}

function main(): void {
  const args = process.argv.slice(2);
  const lastAt = args.indexOf('--last');
  const lastSeconds = lastAt === -1 ? undefined : Number(args.splice(lastAt, 2)[1]);
  const [file, topText] = args;
  const top = Number(topText ?? DEFAULT_TOP);
  if (file === undefined || !(top > 0) || (lastSeconds !== undefined && !(lastSeconds > 0))) {
    process.stderr.write('usage: node dist/bench/profile-summary.js <file.cpuprofile> [top] [--last <seconds>]\n');
    process.exit(2);
  }
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const times = selfTimes(profile, lastSeconds === undefined ? undefined : lastSeconds * 1e6);
  const idle = profile.nodes.filter((node) => node.callFrame.functionName === IDLE).reduce((sum, node) => sum + (times.get(node.id) ?? 0), 0);
  const total = [...times.values()].reduce((sum, t) => sum + t, 0) - idle;
  const byFunction = new Map<string, number>();
  const byPackage = new Map<string, number>();
  for (const node of profile.nodes) {
    if (node.callFrame.functionName === IDLE) continue;
    const self = times.get(node.id) ?? 0;
    const { functionName, url, lineNumber } = node.callFrame;
    const where = url === '' ? '' : ` ${url.replace(/^.*\/(node_modules|dist)\//, '$1/')}:${lineNumber + 1}`;
    const name = `${functionName || '(anonymous)'}${where}`;
    byFunction.set(name, (byFunction.get(name) ?? 0) + self);
    const part = packageOf(url, functionName);
    byPackage.set(part, (byPackage.get(part) ?? 0) + self);
  }
  const share = (t: number) => `${((100 * t) / total).toFixed(1)} %`;
  const ms = (t: number) => (t / 1000).toFixed(0);
  const lines = [
    `${file}: ${ms(total + idle)} ms sampled, ${ms(total)} ms busy (shares below are of that)`,
    '',
    '| package or part | self ms | share |',
    '|---|---|---|',
    ...sortedTop(byPackage, top).map(([name, t]) => `| ${name} | ${ms(t)} | ${share(t)} |`),
    '',
    '| function | self ms | share |',
    '|---|---|---|',
    ...sortedTop(byFunction, top).map(([name, t]) => `| ${name} | ${ms(t)} | ${share(t)} |`),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

main();
