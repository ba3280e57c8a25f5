/**
 * `npm run bench`: starts a real server on a temp database and a loopback port, drives it
 * with many SDK clients, prints a table and writes it to bench/results/. Every loop is
 * bounded; nothing leaves 127.0.0.1.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { ChatClient, type ServerEvent } from '../interfaces/client/chat-client.js';

const CLI = fileURLToPath(new URL('../cli.js', import.meta.url));
const RESULTS = fileURLToPath(new URL('../../bench/results/', import.meta.url));

const PAIRS = Number(process.env.BENCH_PAIRS ?? 50);
const MESSAGES_PER_SENDER = Number(process.env.BENCH_MESSAGES ?? 200);
const WINDOW = 16;
/** Receivers gather acknowledgements this long, as `chatctl listen` does. */
const ACK_DELAY_MS = 50;
const IDLE_CONNECTIONS = Number(process.env.BENCH_IDLE ?? 1000);
const LIGHT_MESSAGES = 500;
const GROUP_MEMBERS = Number(process.env.BENCH_GROUP_MEMBERS ?? 100);
const GROUP_SENDERS = 4;
const GROUP_MESSAGES_PER_SENDER = 50;

interface Row {
  measure: string;
  value: string;
  detail: string;
}

async function startServer(db: string): Promise<{ port: number; pid: number; stop(): Promise<void> }> {
  const child = spawn(process.execPath, [...(process.env.BENCH_SERVER_FLAGS ?? '').split(' ').filter(Boolean), CLI, 'serve', '--port', '0', '--db', db, '--log-level', 'info'], { stdio: ['ignore', 'ignore', 'pipe'] });
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('server did not start')), 15_000);
    createInterface({ input: child.stderr! }).on('line', (line) => {
      if (line.includes('"msg":"listening"')) {
        clearTimeout(timer);
        resolve((JSON.parse(line) as { port: number }).port);
      }
    });
  });
  return {
    port,
    pid: child.pid!,
    stop: () => new Promise((resolve) => (child.once('exit', () => resolve()), child.kill('SIGTERM'))),
  };
}

function rssBytes(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmRSS:'))!;
  return Number(line.replace(/\D+/g, '')) * 1024;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function login(port: number, username: string): Promise<ChatClient> {
  const client = await ChatClient.connect({ port });
  const { token } = await client.request<{ token: string }>('login', { username, password: `bench-${username}` });
  client.token = token;
  return client;
}

/** Sends `count` messages with at most WINDOW awaiting their `ok` at once. */
async function sendMany(client: ChatClient, to: string, count: number, text: (i: number) => string): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: WINDOW }, async () => {
      while (next < count) await client.request('send', { to, text: text(next++) });
    }),
  );
}

/** Acknowledges deliveries as they come, in batches, and resolves once `expected` have arrived. */
function receiveAll(client: ChatClient, expected: number, onMessage: (event: Extract<ServerEvent, { type: 'message' }>) => void = () => {}): Promise<void> {
  return new Promise((resolve) => {
    let received = 0;
    let batch: number[] = [];
    const flush = () => {
      const ids = batch;
      batch = [];
      client.acknowledge(ids).catch(() => undefined);
    };
    client.on('event', (event) => {
      if (event.type !== 'message' || event.message.kind !== 'private') return;
      onMessage(event);
      if (batch.push(event.id) === 1) setTimeout(flush, ACK_DELAY_MS);
      if (++received === expected) resolve();
    });
  });
}

/** One group of GROUP_MEMBERS attached members; a few of them send, everyone else receives. */
async function groupFanOut(port: number): Promise<Row[]> {
  const names = Array.from({ length: GROUP_MEMBERS }, (_, i) => `member${i}`);
  const setup = await ChatClient.connect({ port });
  for (const username of names) await setup.request('register', { username, password: `bench-${username}` });
  await setup.close();
  const members = await Promise.all(names.map((name) => login(port, name)));
  try {
    const owner = members[0]!;
    const { group } = await owner.request<{ group: { id: number } }>('newgroup', { name: 'bench' });
    for (const username of names.slice(1)) await owner.request('addgroupuser', { name: 'bench', username });
    await new Promise((resolve) => setTimeout(resolve, 300));
    const latencies: number[] = [];
    const perReceiver = (sender: number) => GROUP_SENDERS * GROUP_MESSAGES_PER_SENDER - (sender < GROUP_SENDERS ? GROUP_MESSAGES_PER_SENDER : 0);
    const arrivals = members.map(
      (client, i) =>
        new Promise<void>((resolve) => {
          let received = 0;
          const batch: number[] = [];
          if (perReceiver(i) === 0) return resolve();
          client.on('event', (event) => {
            if (event.type !== 'message' || event.message.kind !== 'group') return;
            latencies.push(performance.now() - Number(event.message.text.split(' ')[0]));
            if (batch.push(event.id) === 1) setTimeout(() => void client.acknowledge(batch.splice(0)).catch(() => undefined), ACK_DELAY_MS);
            if (++received === perReceiver(i)) resolve();
          });
        }),
    );
    const started = performance.now();
    await Promise.all(
      members.slice(0, GROUP_SENDERS).map(async (client) => {
        for (let i = 0; i < GROUP_MESSAGES_PER_SENDER; i++) await client.request('sendgroup', { group: group.id, text: `${performance.now()} fan-out` });
      }),
    );
    await Promise.all(arrivals);
    const seconds = (performance.now() - started) / 1000;
    latencies.sort((a, b) => a - b);
    const deliveries = latencies.length;
    return [
      { measure: 'group fan-out deliveries', value: `${Math.round(deliveries / seconds)} /s`, detail: `${GROUP_SENDERS} senders × ${GROUP_MESSAGES_PER_SENDER} messages, one at a time each, to a group of ${GROUP_MEMBERS} attached members (${deliveries} deliveries)` },
      { measure: 'group fan-out latency p50', value: `${percentile(latencies, 50).toFixed(1)} ms`, detail: 'send request written → message pushed to a member' },
      { measure: 'group fan-out latency p99', value: `${percentile(latencies, 99).toFixed(1)} ms`, detail: '' },
    ];
  } finally {
    await Promise.all(members.map((client) => client.close()));
  }
}

/** On a server of its own, so memory freed by earlier phases cannot hide the growth: one user, many attached connections. */
async function idleConnectionMemory(): Promise<Row> {
  const directory = mkdtempSync(join(tmpdir(), 'parley-bench-'));
  const server = await startServer(join(directory, 'memory.sqlite'));
  const clients: ChatClient[] = [];
  try {
    const setup = await ChatClient.connect({ port: server.port });
    await setup.request('register', { username: 'idle', password: 'bench-idle' });
    await setup.close();
    const { token } = await login(server.port, 'idle');
    await new Promise((resolve) => setTimeout(resolve, 500));
    const before = rssBytes(server.pid);
    for (let i = 0; i < IDLE_CONNECTIONS; i += 100) {
      const batch = await Promise.all(Array.from({ length: Math.min(100, IDLE_CONNECTIONS - i) }, () => ChatClient.connect({ port: server.port, token })));
      await Promise.all(batch.map((client) => client.request('attach')));
      clients.push(...batch);
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
    const perConnection = (rssBytes(server.pid) - before) / IDLE_CONNECTIONS;
    return { measure: 'memory per idle attached connection', value: `${(perConnection / 1024).toFixed(1)} KiB`, detail: `server RSS growth over ${IDLE_CONNECTIONS} attached connections, fresh server` };
  } finally {
    await Promise.all(clients.map((client) => client.close()));
    await server.stop();
    rmSync(directory, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const directory = mkdtempSync(join(tmpdir(), 'parley-bench-'));
  const server = await startServer(join(directory, 'bench.sqlite'));
  const rows: Row[] = [];
  const clients: ChatClient[] = [];
  try {
    const names = Array.from({ length: PAIRS }, (_, i) => [`sender${i}`, `recipient${i}`] as const);
    const setup = await ChatClient.connect({ port: server.port });
    for (const [sender, recipient] of names) {
      for (const username of [sender, recipient]) await setup.request('register', { username, password: `bench-${username}` });
    }
    await setup.close();
    const senders = await Promise.all(names.map(([sender]) => login(server.port, sender)));
    clients.push(...senders);
    await Promise.all(senders.map((client, i) => client.request('add', { username: names[i]![1] })));

    const recipients = await Promise.all(names.map(([, recipient]) => login(server.port, recipient)));
    clients.push(...recipients);
    await new Promise((resolve) => setTimeout(resolve, 200));

    // 1. Latency with no load: one sender, one message at a time.
    const quiet: number[] = [];
    const quietArrivals = receiveAll(recipients[0]!, LIGHT_MESSAGES, (event) => quiet.push(performance.now() - Number(event.message.text.split(' ')[0])));
    for (let i = 0; i < LIGHT_MESSAGES; i++) await senders[0]!.request('send', { to: names[0]![1], text: `${performance.now()} quiet` });
    await quietArrivals;
    quiet.sort((a, b) => a - b);
    rows.push({ measure: 'latency at light load p50', value: `${percentile(quiet, 50).toFixed(2)} ms`, detail: `${LIGHT_MESSAGES} messages, one at a time, one sender → one attached recipient` });
    rows.push({ measure: 'latency at light load p99', value: `${percentile(quiet, 99).toFixed(2)} ms`, detail: '' });
    recipients[0]!.removeAllListeners('event');

    // 2. Live delivery to attached recipients under full load.
    const latencies: number[] = [];
    const total = PAIRS * MESSAGES_PER_SENDER;
    const started = performance.now();
    const arrivals = recipients.map((client) =>
      receiveAll(client, MESSAGES_PER_SENDER, (event) => latencies.push(performance.now() - Number(event.message.text.split(' ')[0]))),
    );
    await Promise.all(senders.map((client, i) => sendMany(client, names[i]![1], MESSAGES_PER_SENDER, () => `${performance.now()} live`)));
    await Promise.all(arrivals);
    const liveSeconds = (performance.now() - started) / 1000;
    latencies.sort((a, b) => a - b);
    rows.push({ measure: 'private messages delivered live', value: `${Math.round(total / liveSeconds)} msg/s`, detail: `${total} messages, ${PAIRS} senders → ${PAIRS} attached recipients, ${WINDOW} in flight per sender` });
    rows.push({ measure: 'latency under full load p50', value: `${percentile(latencies, 50).toFixed(1)} ms`, detail: 'send request written → message pushed to the recipient, under the load above' });
    rows.push({ measure: 'latency under full load p99', value: `${percentile(latencies, 99).toFixed(1)} ms`, detail: '' });

    // 3. The offline queue: write while recipients are away, then drain when they attach.
    await Promise.all(recipients.map((client) => client.close()));
    const queuedStart = performance.now();
    await Promise.all(senders.map((client, i) => sendMany(client, names[i]![1], MESSAGES_PER_SENDER, (n) => `${n} queued`)));
    const queueSeconds = (performance.now() - queuedStart) / 1000;
    rows.push({ measure: 'offline queue writes', value: `${Math.round(total / queueSeconds)} msg/s`, detail: `${total} messages stored durably before each ok, recipients offline` });
    const drainStart = performance.now();
    const drainers = await Promise.all(
      names.map(async ([, recipient]) => {
        const client = await ChatClient.connect({ port: server.port });
        const done = receiveAll(client, MESSAGES_PER_SENDER);
        const { token } = await client.request<{ token: string }>('login', { username: recipient, password: `bench-${recipient}` });
        client.token = token;
        await done;
        return client;
      }),
    );
    clients.push(...drainers);
    const drainSeconds = (performance.now() - drainStart) / 1000;
    rows.push({ measure: 'offline queue drain', value: `${Math.round(total / drainSeconds)} msg/s`, detail: `${PAIRS} recipients log in, receive their backlog and acknowledge it` });

    await Promise.all(clients.splice(0).map((client) => client.close()));
    rows.push(...(await groupFanOut(server.port)));
    rows.push(await idleConnectionMemory());
  } finally {
    await Promise.all(clients.map((client) => client.close()));
    await server.stop();
    rmSync(directory, { recursive: true, force: true });
  }

  const machine = `${cpus().length} × ${cpus()[0]?.model.trim()}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}; clients and server share the machine`;
  const width = Math.max(...rows.map((r) => r.measure.length));
  const valueWidth = Math.max(...rows.map((r) => r.value.length));
  const table = [
    `| ${'measure'.padEnd(width)} | ${'value'.padEnd(valueWidth)} | detail |`,
    `|${'-'.repeat(width + 2)}|${'-'.repeat(valueWidth + 2)}|---|`,
    ...rows.map((r) => `| ${r.measure.padEnd(width)} | ${r.value.padEnd(valueWidth)} | ${r.detail} |`),
  ].join('\n');
  const report = `parley benchmark, ${new Date().toISOString()}\n${machine}\n\n${table}\n`;
  process.stdout.write(report);
  mkdirSync(RESULTS, { recursive: true });
  writeFileSync(join(RESULTS, 'latest.md'), report);
  writeFileSync(join(RESULTS, 'latest.json'), `${JSON.stringify({ at: new Date().toISOString(), machine, rows }, null, 2)}\n`);
}

await main();
