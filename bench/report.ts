import { STARTUP_TARGET_SECONDS, type StartupRow } from './startup.js';
import type { FloodRow, MemoryRow, TrafficRow } from './workloads.js';

/** A process busier than this share of its CPU is likely what limits throughput. */
const SATURATED = 0.9;

export interface Report {
  readonly at: string;
  readonly mode: 'quick' | 'full';
  readonly machine: string;
  /** Where parley keeps its data: a SQLite file, or PostgreSQL with `--db`. */
  readonly storage: string;
  /** Parley's session hub: in-process, or Redis with `--hub`. */
  readonly hub: string;
  /** How many parley processes ran the traffic workloads, and where the clients connected. */
  readonly nodes: string;
  readonly loadAverage: { readonly start: number[]; readonly end: number[] };
  readonly pinning: string;
  /** The node flags the parley and floor servers and the load generator ran with. */
  readonly nodeFlags: string;
  readonly capSeconds: number;
  readonly durationSeconds: number;
  readonly traffic: readonly TrafficRow[];
  readonly memory: readonly MemoryRow[];
  readonly flood: readonly FloodRow[];
  /** One-shot chatctl's start-up: wall time per command line. */
  readonly startup: readonly StartupRow[];
  /** Per server: stop status and the warnings and errors it logged. */
  readonly serverNotes: readonly string[];
  /** Why the run fails: losses, duplicates, refused sends, workloads that broke. */
  readonly failures: readonly string[];
}

/** Every row with a loss, a duplicate or a refused send is a failure of the run. */
export function failuresOf(rows: readonly TrafficRow[]): string[] {
  return rows.flatMap((row) => {
    const problems = [
      row.loss !== 0 && `${row.loss} lost`,
      row.duplicates !== 0 && `${row.duplicates} duplicated`,
      row.refused !== 0 && `${row.refused} sends refused (${row.firstRefusal})`,
    ].filter(Boolean);
    return problems.length > 0 ? [`${row.server} ${row.workload}: ${problems.join(', ')}`] : [];
  });
}

export function renderMarkdown(report: Report): string {
  const lines = [
    `# ${serversOf(report).join(' vs ')} benchmark (${report.mode})`,
    '',
    `${report.at}, ${report.durationSeconds.toFixed(0)} s`,
    '',
    `- machine: ${report.machine}`,
    `- parley storage: ${report.storage}`,
    `- parley session hub: ${report.hub}`,
    `- parley nodes: ${report.nodes}`,
    `- load average (1, 5, 15 min): start ${formatLoad(report.loadAverage.start)}, end ${formatLoad(report.loadAverage.end)}`,
    `- ${report.pinning}`,
    `- ${report.nodeFlags}`,
    `- cap: ${report.capSeconds} s of sending per workload and server, then in-flight messages are awaited`,
  ];
  if (report.traffic.length > 0) lines.push('', trafficTable(report.traffic), '', ...legend(report.traffic));
  if (report.memory.length > 0) lines.push('', memoryTable(report.memory), '', ...memoryLegend(report.memory));
  if (report.flood.length > 0) lines.push('', floodTable(report.flood), '', ...report.flood.map((row) => `- flood: ${row.shape}; target: p99 under flood at most 2× calm`));
  if (report.startup.length > 0) lines.push('', startupTable(report.startup), '', `- start-up: wall time from spawn to exit, logged out; target: p50 under ${STARTUP_TARGET_SECONDS} s`);
  if (report.serverNotes.length > 0) lines.push('', '## servers', '', ...report.serverNotes.map((n) => `- ${n}`));
  lines.push('', report.failures.length === 0 ? 'no loss, no duplicates, no refused sends.' : `## FAILED\n\n${report.failures.map((f) => `- ${f}`).join('\n')}`);
  return `${lines.join('\n')}\n`;
}

function trafficTable(rows: readonly TrafficRow[]): string {
  const durable = rows.some((row) => row.server === 'durable-floor');
  const header = ['workload', 'server', 'delivered', 'throughput /s', 'p50 ms', 'p99 ms', 'server CPU µs/delivery', 'loss', 'dups', '÷ floor throughput', '÷ floor CPU', ...(durable ? ['CPU µs over durable floor'] : []), 'server CPU', 'load-gen CPU', 'note'];
  const body = rows.map((row) => {
    const floor = row.server !== 'floor' ? rows.find((r) => r.server === 'floor' && r.workload === row.workload) : undefined;
    const stored = row.server === 'parley' ? rows.find((r) => r.server === 'durable-floor' && r.workload === row.workload) : undefined;
    return [
      row.workload,
      row.server,
      `${row.delivered}/${row.expected}`,
      round(row.throughput),
      fixed(row.p50, 2),
      fixed(row.p99, 2),
      fixed(row.serverCpuMicrosPerDelivery, 1),
      String(row.loss),
      String(row.duplicates),
      floor ? ratio(row.throughput / floor.throughput) : '',
      floor ? ratio(row.serverCpuMicrosPerDelivery / floor.serverCpuMicrosPerDelivery) : '',
      ...(durable ? [stored ? fixed(row.serverCpuMicrosPerDelivery - stored.serverCpuMicrosPerDelivery, 1) : ''] : []),
      `${Math.round(row.serverCpuShare * 100)} %`,
      `${Math.round(row.loadgenCpuShare * 100)} %`,
      noteOf(row),
    ];
  });
  return table(header, body);
}

function memoryTable(rows: readonly MemoryRow[]): string {
  const header = ['workload', 'server', 'idle attached connections', 'RSS before', 'RSS after', 'settled before → after', '(after − before)/n', 'settled RSS MiB at each count', 'per added connection', 'of it JS heap', '÷ floor'];
  const body = rows.map((row) => {
    const floor = row.server !== 'floor' ? rows.find((r) => r.server === 'floor') : undefined;
    return [
      row.workload,
      row.server,
      `${row.connections}, ${row.idleSeconds} s idle`,
      mebibytes(row.rssBeforeBytes),
      mebibytes(row.rssAfterBytes),
      `${mebibytes(row.settledBeforeBytes)} → ${mebibytes(row.settledAfterBytes)}`,
      kibibytes((row.settledAfterBytes - row.settledBeforeBytes) / row.connections),
      row.samples.map((s) => `${s.connections}: ${(s.settledRssBytes / 2 ** 20).toFixed(1)}`).join(', '),
      kibibytes(row.perConnectionBytes),
      Number.isNaN(row.heapPerConnectionBytes) ? '—' : kibibytes(row.heapPerConnectionBytes),
      floor ? ratio(row.perConnectionBytes / floor.perConnectionBytes) : '',
    ];
  });
  return table(header, body);
}

/** How S4 reads memory, under its table. */
function memoryLegend(rows: readonly MemoryRow[]): string[] {
  const steps = Math.max(...rows.map((row) => row.samples.length - 1));
  return [
    `- S4: connections attached in ${steps} batches; after each (and once before the first) the server idles, its RSS is read (RSS before, RSS after: raw), then the benchmark forces a full garbage collection over the inspector and reads RSS again (settled) and the live JavaScript heap`,
    '- per added connection: least-squares slope of settled RSS over the batches, the figure the 6 KB target is read against; (after − before)/n of settled RSS also counts what the first connections cost once (code compiled, pools grown). Raw RSS also holds whatever garbage V8 has not yet collected (start-up leaves tens of MiB on parley)',
  ];
}

function floodTable(rows: readonly FloodRow[]): string {
  const header = ['workload', 'server', 'calm messages', 'calm p50 ms', 'calm p99 ms', 'flooded p50 ms', 'flooded p99 ms', 'p99 flooded/calm', 'flood answered /s', 'flood refused'];
  const body = rows.map((row) => [
    row.workload,
    row.server,
    `${row.calmMessages} + ${row.calmMessages}`,
    fixed(row.calmP50, 2),
    fixed(row.calmP99, 2),
    fixed(row.floodedP50, 2),
    fixed(row.floodedP99, 2),
    ratio(row.ratio),
    round(row.floodAnswered),
    String(row.floodRefused),
  ]);
  return table(header, body);
}

function startupTable(rows: readonly StartupRow[]): string {
  return table(
    ['command', 'runs', 'p50 s', 'p95 s', 'exit', `under ${STARTUP_TARGET_SECONDS} s`],
    rows.map((r) => [r.command, String(r.runs), fixed(r.p50, 3), fixed(r.p95, 3), r.statuses.join(', '), r.p50 < STARTUP_TARGET_SECONDS ? 'yes' : 'NO']),
  );
}

function legend(rows: readonly TrafficRow[]): string[] {
  const shapes = new Map<string, string>();
  for (const row of rows) shapes.set(row.server === 'ngircd' ? `${row.workload} (ngircd)` : row.workload, row.shape);
  return [
    ...[...shapes].map(([workload, shape]) => `- ${workload}: ${shape}`),
    '- delivered: distinct (sender, seq) pushes received / messages answered `ok` × receivers each; throughput from the first send to the last push',
    '- latency: send request written → push read by the receiver (same process, performance.now()); receivers ack like `chatctl listen` (50 ms gathering, one ack flush at a time)',
    '- server CPU µs/delivery: utime+stime of the server process (all threads; with several nodes, of all of them) from the first send until every ack was answered, per delivery; of all the figures the one least moved by other work on the machine',
    '- server CPU, load-gen CPU: each process\'s CPU time over the same wall time (each has one CPU); near 100 % says who set the pace, both well below it means waiting (window, fsync) or CPUs shared with other work',
    ...(rows.some((row) => row.server === 'ngircd')
      ? [
          '- ngircd (IRC): one PRIVMSG line per message, the same 64-byte text; IRC has no acknowledgement, so a message is delivered when the receiver\'s connection reads it, and each sender\'s window of 16 is driven by those reads (a slot frees when every recipient has read the message; both ends live in the load generator); no acks are sent. Limits lifted (MaxConnectionsIP 0, MaxPenaltyTime 0, senders are operators with user mode +F), no DNS, ident or PAM lookups, so its one process holds all its CPU',
        ]
      : []),
    ...(rows.some((row) => row.server === 'durable-floor')
      ? [
          '- durable-floor: the floor storing every delivery with parley\'s own SQLite queue (its writer, group commit and group log; WAL, `synchronous=FULL`, parley\'s default quota) before it answers `ok` and pushes, and removing it on `ack`; no auth, no lookups, no checks. CPU µs over durable floor: what parley\'s application adds to the framing and the storage',
        ]
      : []),
    ...(shapes.has('offline write') ? ['- offline write/drain run on parley only: the floor stores nothing; a write is a message stored and answered `ok`'] : []),
  ];
}

/** The servers the rows come from, parley and the floor first. */
function serversOf(report: Report): string[] {
  const present = new Set([...report.traffic, ...report.memory, ...report.flood].map((row) => row.server as string));
  const order = ['parley', 'durable-floor', 'floor', 'ngircd'];
  const servers = order.filter((server) => present.has(server));
  return servers.length > 0 ? servers : ['parley', 'floor'];
}

function noteOf(row: TrafficRow): string {
  const notes = [
    row.cappedAt !== undefined && `(capped at ${row.cappedAt} s)`,
    row.refused > 0 && `${row.refused} refused: ${row.firstRefusal}`,
    row.loadgenCpuShare > SATURATED && 'load generator saturated',
    row.serverCpuShare > SATURATED && 'server CPU-bound',
    row.strays > 0 && `${row.strays} other pushes`,
    row.acks.unknown > 0 && `${row.acks.unknown} acks unknown`,
    row.acks.refused > 0 && `${row.acks.refused} acks refused`,
  ];
  return notes.filter(Boolean).join('; ');
}

function table(header: readonly string[], body: readonly string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((cells) => cells[i]!.length)));
  const line = (cells: readonly string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...body.map(line)].join('\n');
}

function round(n: number): string {
  return Number.isFinite(n) ? String(Math.round(n)) : '—';
}

function fixed(n: number, digits: number): string {
  return Number.isFinite(n) ? n.toFixed(digits) : '—';
}

function ratio(n: number): string {
  return Number.isFinite(n) ? `${n < 0.1 ? n.toFixed(3) : n.toFixed(2)}×` : '—';
}

function mebibytes(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(1)} MiB`;
}

function formatLoad(load: readonly number[]): string {
  return load.map((l) => l.toFixed(2)).join(' ');
}

function kibibytes(bytes: number): string {
  return Number.isFinite(bytes) ? `${(bytes / 1024).toFixed(1)} KiB` : '—';
}
