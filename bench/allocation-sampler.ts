/**
 * Where a server's allocations go: a preload for parley's server,
 * `npm run bench -- --only S1 --servers parley --server-flags "--import ./dist/bench/allocation-sampler.js"`,
 * with `PARLEY_ALLOC_FOR` (ms, default 6 000) and `PARLEY_ALLOC_OUT` (a directory, default the
 * working directory). Once the server's main thread has been busy (event-loop utilisation
 * over 80 %) for two seconds, which the benchmark's set-up (scrypt, on the thread pool) never
 * makes it, it samples the heap through the inspector (every 4 KiB, objects the garbage
 * collector already took included, so short-lived garbage counts) for that window, and writes the raw
 * `.heapprofile` and a `.txt` summary: bytes per function (self only) and per second, which
 * divided by the workload's deliveries per second gives bytes per delivery. Add
 * `--no-turbo-inlining` to charge each allocation to its own function rather than to the one
 * V8 inlined it into.
 */
import { Session } from 'node:inspector/promises';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

interface SamplingNode {
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
  readonly selfSize: number;
  readonly children: readonly SamplingNode[];
}

const SAMPLING_INTERVAL_BYTES = 4096;
const TOP = 40;

/** How often the main thread's utilisation is read, and how many busy readings in a row start the window. */
const POLL_MS = 250;
const BUSY_POLLS = 8;
const BUSY = 0.8;
const windowMs = Number(process.env.PARLEY_ALLOC_FOR ?? 6_000);
const directory = process.env.PARLEY_ALLOC_OUT ?? process.cwd();

function summarise(head: SamplingNode): string {
  const bySite = new Map<string, number>();
  let total = 0;
  const visit = (node: SamplingNode) => {
    const { functionName, url, lineNumber } = node.callFrame;
    const where = url === '' ? '' : ` ${url.replace(/^.*\/(node_modules|dist)\//, '$1/')}:${lineNumber + 1}`;
    const site = `${functionName || '(anonymous)'}${where}`;
    bySite.set(site, (bySite.get(site) ?? 0) + node.selfSize);
    total += node.selfSize;
    for (const child of node.children) visit(child);
  };
  visit(head);
  const perSecond = total / (windowMs / 1000) / 2 ** 20;
  const lines = [`sampled ${(total / 2 ** 20).toFixed(1)} MiB in ${windowMs} ms: ${perSecond.toFixed(1)} MiB/s`, '', '| share | KiB | function |', '|---|---|---|'];
  for (const [site, bytes] of [...bySite].sort((a, b) => b[1] - a[1]).slice(0, TOP)) {
    lines.push(`| ${((100 * bytes) / total).toFixed(1)} % | ${(bytes / 1024).toFixed(0)} | ${site} |`);
  }
  return `${lines.join('\n')}\n`;
}

async function sample(): Promise<void> {
  const session = new Session();
  session.connect();
  await session.post('HeapProfiler.startSampling', {
    samplingInterval: SAMPLING_INTERVAL_BYTES,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: true,
  });
  await new Promise((resolve) => setTimeout(resolve, windowMs));
  const { profile } = (await session.post('HeapProfiler.stopSampling')) as unknown as { profile: { head: SamplingNode } };
  session.disconnect();
  const base = join(directory, `alloc-${process.pid}`);
  writeFileSync(`${base}.heapprofile`, JSON.stringify(profile));
  writeFileSync(`${base}.txt`, summarise(profile.head));
}

let last = performance.eventLoopUtilization();
let busyPolls = 0;
const poll = setInterval(() => {
  const now = performance.eventLoopUtilization();
  busyPolls = performance.eventLoopUtilization(now, last).utilization > BUSY ? busyPolls + 1 : 0;
  last = now;
  if (busyPolls < BUSY_POLLS) return;
  clearInterval(poll);
  void sample().catch((error: unknown) => process.stderr.write(`allocation sampler: ${String(error)}\n`));
}, POLL_MS);
poll.unref();
