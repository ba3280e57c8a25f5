import { benchUser, closeAll, type Accounts } from './accounts.js';
import { benchText, Ledger, percentile } from './ledger.js';
import { sleep, type AckStats, type Peer } from './peer.js';
import type { HeapInspector } from './heap-inspector.js';
import { failuresOf } from './report.js';
import type { Nodes, ServerKind } from './server-process.js';
import { awaitDeliveries, measure, sendAll, settleAcks, sumAcks, type Cost, type SenderPlan, type SendOutcome } from './traffic.js';

export const WORKLOADS = ['light', 'S1', 'S2', 'offline', 'S4', 'flood', 'startup'] as const;
export type WorkloadName = (typeof WORKLOADS)[number];

/** The counts of one run; `--quick` scales them down. */
export interface Scale {
  readonly lightMessages: number;
  /** Light load's unmeasured messages between its cold and its warm measurement. */
  readonly lightWarmUp: number;
  readonly pairs: number;
  readonly perPair: number;
  readonly members: number;
  readonly groupSenders: number;
  readonly perGroupSender: number;
  readonly offlinePerPair: number;
  readonly idleConnections: number;
  /** S4's wait after each batch of idle connections before memory is read. */
  readonly idleSeconds: number;
  /** S4 attaches its connections in this many batches and reads memory after each. */
  readonly memorySteps: number;
  /** Most sends awaiting `ok` at once, per sender. */
  readonly window: number;
  /** Messages the calm client sends in each half of the flood workload, one every CALM_INTERVAL_MS. */
  readonly calmMessages: number;
}

/** The calm client's pace in the flood workload: 40 messages a second, a busy bot more than a person. */
const CALM_INTERVAL_MS = 25;
/** Requests the flooding client keeps awaiting their answer at once. */
const FLOOD_WINDOW = 64;
/** Alternating stretches of the flood workload: calm, flooded, calm, flooded… */
const FLOOD_ROUNDS = 4;

export interface WorkloadContext {
  /** Senders connect to `nodes.sending`, receivers to `nodes.receiving` (the same server unless `--nodes 2`). */
  readonly nodes: Nodes;
  readonly accounts: Accounts;
  readonly scale: Scale;
  /** Per workload: past this no new message is sent. */
  readonly capMs: number;
}

/** One workload on one server, for the table. */
export interface TrafficRow {
  /** `light warm-up` is measured but not reported: its messages only need to arrive. */
  readonly workload: WorkloadName | 'light cold' | 'light warm-up' | 'offline write' | 'offline drain';
  readonly server: ServerKind;
  readonly shape: string;
  readonly expected: number;
  readonly delivered: number;
  readonly loss: number;
  readonly duplicates: number;
  /** Deliveries that were not this workload's messages (notices, leftovers). */
  readonly strays: number;
  readonly refused: number;
  readonly firstRefusal: string | undefined;
  readonly seconds: number;
  readonly throughput: number;
  /** Milliseconds, send → push; NaN where latency means nothing (a drained backlog). */
  readonly p50: number;
  readonly p99: number;
  readonly serverCpuMicrosPerDelivery: number;
  /** Server CPU time over wall time: near 1 means the server's one CPU was the limit. */
  readonly serverCpuShare: number;
  /** Load-generator CPU time over wall time: near 1 means it, not the server, set the pace. */
  readonly loadgenCpuShare: number;
  /** The cap in seconds, when it stopped the senders early. */
  readonly cappedAt: number | undefined;
  readonly acks: AckStats;
}

/** Memory of one server at one count of idle attached connections. */
export interface MemorySample {
  readonly connections: number;
  /** RSS after the idle wait, as the server left it. */
  readonly rawRssBytes: number;
  /** RSS once a full garbage collection has run and the heap had SETTLE_MS to give pages back. */
  readonly settledRssBytes: number;
  /** Live JavaScript heap after that collection. */
  readonly heapUsedBytes: number;
}

export interface MemoryRow {
  readonly workload: 'S4';
  readonly server: ServerKind;
  readonly connections: number;
  readonly idleSeconds: number;
  /** Raw RSS with no connection attached, and with all of them after the idle wait (earlier batches' garbage collected). */
  readonly rssBeforeBytes: number;
  readonly rssAfterBytes: number;
  /** Settled RSS with none and with all; (after − before) / connections still counts what the first connections cost once. */
  readonly settledBeforeBytes: number;
  readonly settledAfterBytes: number;
  /** The figure: settled RSS per added connection, the least-squares slope over the samples. */
  readonly perConnectionBytes: number;
  /** The live JavaScript heap's share of it, the same way. */
  readonly heapPerConnectionBytes: number;
  /** The first is with no connection attached; the slope is taken over the others. */
  readonly samples: readonly MemorySample[];
}
/** The flood workload: the calm client's latency alone and while another client floods. */
export interface FloodRow {
  readonly workload: 'flood';
  readonly server: ServerKind;
  readonly shape: string;
  readonly calmMessages: number;
  readonly calmP50: number;
  readonly calmP99: number;
  readonly floodedP50: number;
  readonly floodedP99: number;
  /** Flooded p99 over calm p99: the target is at most 2. */
  readonly ratio: number;
  /** The flooder's requests answered per second, and those answered other than `ok`. */
  readonly floodAnswered: number;
  readonly floodRefused: number;
  /** Calm sends not answered `ok`, or not delivered. */
  readonly calmLost: number;
}

interface LivePlan {
  readonly workload: TrafficRow['workload'];
  readonly shape: string;
  readonly senders: readonly SenderPlan[];
  readonly receivers: readonly Peer[];
  readonly perSender: number;
  readonly window: number;
  /** How many receivers each message reaches. */
  readonly fanOut: number;
}

/**
 * Light load: one message at a time, one sender → one attached receiver, measured twice: just
 * after the server started (`light cold`, while V8 still compiles the hot path and the heap
 * grows, on the server's one pinned core), and again after `lightWarmUp` more messages
 * (`light`, the steady state the latency target is read against).
 */
export async function light(context: WorkloadContext): Promise<TrafficRow[]> {
  const pair = await pairsOf(context, 1);
  const { lightMessages, lightWarmUp } = context.scale;
  const plan = (workload: LivePlan['workload'], perSender: number, shape: string): LivePlan => ({
    workload,
    shape,
    senders: privateSenders(pair),
    receivers: pair.receivers,
    perSender,
    window: 1,
    fanOut: 1,
  });
  try {
    const cold = await live(context, plan('light cold', lightMessages, `the first ${lightMessages} messages after the server started, one at a time, 1 sender → 1 attached receiver`));
    const warmUp = await live(context, plan('light warm-up', lightWarmUp, `${lightWarmUp} messages, not reported`));
    const warmUpFailures = failuresOf([warmUp]);
    if (warmUpFailures.length > 0) throw new Error(warmUpFailures.join('; '));
    const warm = await live(context, plan('light', lightMessages, `${lightMessages} messages one at a time after ${lightMessages + lightWarmUp} before them, 1 sender → 1 attached receiver`));
    return [cold, warm];
  } finally {
    await closeAll([...pair.senders, ...pair.receivers]);
  }
}

/** S1: sender→receiver pairs of friends, every sender pipelining its messages. */
export async function privatePairs(context: WorkloadContext): Promise<TrafficRow[]> {
  const { pairs, perPair, window } = context.scale;
  const pair = await pairsOf(context, pairs);
  try {
    return [
      await live(context, {
        workload: 'S1',
        shape: `${pairs} pairs × ${perPair} messages, ${window} in flight per sender`,
        senders: privateSenders(pair),
        receivers: pair.receivers,
        perSender: perPair,
        window,
        fanOut: 1,
      }),
    ];
  } finally {
    await closeAll([...pair.senders, ...pair.receivers]);
  }
}

/**
 * S2: one group, every member attached, a few members sending. The senders attach to the
 * sending node and the other members to the receiving one, so with two nodes all pushes but
 * those from one sender to another cross the hub.
 */
export async function groupFanOut(context: WorkloadContext): Promise<TrafficRow[]> {
  const { members, groupSenders, perGroupSender, window } = context.scale;
  const names = Array.from({ length: members }, (_, i) => benchUser(i));
  await context.accounts.ensure(names);
  const peers = [
    ...(await context.accounts.attachMany(context.nodes.sending, names.slice(0, groupSenders))),
    ...(await context.accounts.attachMany(context.nodes.receiving, names.slice(groupSenders))),
  ];
  try {
    const group = await createGroup(peers[0]!, names.slice(1));
    return [
      await live(context, {
        workload: 'S2',
        shape: `group of ${members} attached, ${groupSenders} senders × ${perGroupSender} messages, ${window} in flight each`,
        senders: peers.slice(0, groupSenders).map((peer) => ({ peer, op: 'sendgroup', args: (text) => ({ group, text }) })),
        receivers: peers,
        perSender: perGroupSender,
        window,
        fanOut: members - 1,
      }),
    ];
  } finally {
    await closeAll(peers);
  }
}

/** The offline queue: senders write while the receivers are away, then the receivers attach and drain it. */
export async function offlineQueue(context: WorkloadContext): Promise<TrafficRow[]> {
  const { pairs, offlinePerPair, window } = context.scale;
  const pair = await pairsOf(context, pairs, { attachReceivers: false });
  const peers = [...pair.senders];
  try {
    const ledger = new Ledger('Q', pairs, offlinePerPair);
    const write = await measure(context.nodes, () =>
      sendAll({
        tag: 'Q',
        senders: privateSenders(pair),
        perSender: offlinePerPair,
        window,
        capMs: context.capMs,
      }),
    );
    const drain = await measure(context.nodes, async () => {
      const startedAt = performance.now();
      const drainers = await context.accounts.attachMany(context.nodes.receiving, pair.receiverNames, (index, delivery) => ledger.record(index, delivery));
      peers.push(...drainers);
      await awaitDeliveries(ledger, write.result.sent);
      await settleAcks(drainers);
      return { startedAt, drainers };
    });
    const shape = `${pairs} pairs × ${offlinePerPair} messages, receivers away`;
    return [
      writeRow(context, shape, write.result, write.cost),
      trafficRow(context, 'offline drain', `${pairs} receivers attach and drain that backlog`, {
        ledger,
        expected: write.result.sent,
        startedAt: drain.result.startedAt,
        cost: drain.cost,
        acks: sumAcks(drain.result.drainers),
        latency: false,
      }),
    ];
  } finally {
    await closeAll(peers);
  }
}

/** After a forced collection, how long the heap has to sweep and give freed pages back before RSS is read. */
const SETTLE_MS = 1000;

/**
 * S4: on a fresh server started with the inspector, what each idle attached connection adds
 * to its RSS. Connections are attached in `memorySteps` equal batches; after each batch, and
 * once before the first, the server idles `idleSeconds`, its raw RSS is read, then a full
 * garbage collection runs and the settled RSS and live heap are read. The figure is the
 * slope of settled RSS over the batches' samples, so neither the heap's one-time growth nor
 * the garbage the attaching left (collected whenever V8 sees fit) is counted per connection.
 */
export async function idleMemory(context: WorkloadContext, inspector: HeapInspector): Promise<MemoryRow> {
  const { idleConnections, idleSeconds, memorySteps } = context.scale;
  const server = context.nodes.receiving;
  const username = benchUser(0);
  await context.accounts.ensure([username]);
  const sample = async (connections: number): Promise<MemorySample> => {
    await sleep(idleSeconds * 1000);
    const rawRssBytes = server.rssBytes();
    await inspector.collectGarbage();
    await sleep(SETTLE_MS);
    const { heapUsed } = await inspector.memoryUsage();
    return { connections, rawRssBytes, settledRssBytes: server.rssBytes(), heapUsedBytes: heapUsed };
  };
  const samples = [await sample(0)];
  const peers: Peer[] = [];
  try {
    for (let step = 1; step <= memorySteps; step++) {
      const target = Math.round((idleConnections * step) / memorySteps);
      peers.push(...(await context.accounts.attachMany(server, Array.from({ length: target - peers.length }, () => username))));
      samples.push(await sample(peers.length));
    }
    const [before, ...attached] = samples as [MemorySample, ...MemorySample[]];
    const after = attached.at(-1)!;
    return {
      workload: 'S4',
      server: server.kind,
      connections: peers.length,
      idleSeconds,
      rssBeforeBytes: before.rawRssBytes,
      rssAfterBytes: after.rawRssBytes,
      settledBeforeBytes: before.settledRssBytes,
      settledAfterBytes: after.settledRssBytes,
      perConnectionBytes: slope(attached, (s) => s.settledRssBytes),
      heapPerConnectionBytes: slope(attached, (s) => s.heapUsedBytes),
      samples,
    };
  } finally {
    await closeAll(peers);
  }
}

/** The least-squares slope of `y` over the samples' connection counts; with one sample, its bytes per connection. */
export function slope(samples: readonly MemorySample[], y: (sample: MemorySample) => number): number {
  if (samples.length === 1) return y(samples[0]!) / samples[0]!.connections;
  const meanX = samples.reduce((sum, s) => sum + s.connections, 0) / samples.length;
  const meanY = samples.reduce((sum, s) => sum + y(s), 0) / samples.length;
  const covariance = samples.reduce((sum, s) => sum + (s.connections - meanX) * (y(s) - meanY), 0);
  const variance = samples.reduce((sum, s) => sum + (s.connections - meanX) ** 2, 0);
  return covariance / variance;
}

interface Pairs {
  readonly senders: Peer[];
  readonly receiverNames: string[];
  /** Empty when the receivers were left away. */
  readonly receivers: Peer[];
}

/** `count` pairs of friends, user 2i sending to user 2i+1 on the sending node, attached on the receiving node unless said otherwise. */
async function pairsOf(context: WorkloadContext, count: number, { attachReceivers = true } = {}): Promise<Pairs> {
  const senderNames = Array.from({ length: count }, (_, i) => benchUser(2 * i));
  const receiverNames = Array.from({ length: count }, (_, i) => benchUser(2 * i + 1));
  await context.accounts.ensure([...senderNames, ...receiverNames]);
  const senders = await context.accounts.attachMany(context.nodes.sending, senderNames);
  await Promise.all(senders.map((peer, i) => context.accounts.befriend(peer, receiverNames[i]!)));
  const receivers = attachReceivers ? await context.accounts.attachMany(context.nodes.receiving, receiverNames) : [];
  return { senders, receiverNames, receivers };
}

function privateSenders({ senders, receiverNames }: Pairs): SenderPlan[] {
  return senders.map((peer, i) => ({ peer, op: 'send', args: (text) => ({ to: receiverNames[i]!, text }) }));
}

/** Creates the workload's group with the owner's connection and invites the others; resolves with its id. */
async function createGroup(owner: Peer, invited: readonly string[]): Promise<number> {
  const name = `bench-s2-${Date.now() % 100_000}`;
  const { group } = await owner.request<{ group: { id: number } }>('newgroup', { name });
  for (const username of invited) await owner.request('addgroupuser', { name, username });
  return group.id;
}

/** Sends the plan's messages to attached receivers and measures until the last one is pushed and acknowledged. */
async function live(context: WorkloadContext, plan: LivePlan): Promise<TrafficRow> {
  const ledger = new Ledger(plan.workload, plan.receivers.length, plan.perSender);
  plan.receivers.forEach((peer, index) => (peer.onDelivery = (delivery) => ledger.record(index, delivery)));
  const { result: outcome, cost } = await measure(context.nodes, async () => {
    const sent = await sendAll({ tag: plan.workload, senders: plan.senders, perSender: plan.perSender, window: plan.window, capMs: context.capMs });
    await awaitDeliveries(ledger, sent.sent * plan.fanOut);
    await settleAcks(plan.receivers);
    return sent;
  });
  return trafficRow(context, plan.workload, plan.shape, {
    ledger,
    expected: outcome.sent * plan.fanOut,
    startedAt: outcome.startedAt,
    cost,
    acks: sumAcks(plan.receivers),
    latency: true,
    outcome,
  });
}

/** What one workload's row is computed from. */
export interface Tally {
  readonly ledger: Ledger;
  readonly expected: number;
  readonly startedAt: number;
  readonly cost: Cost;
  readonly acks: AckStats;
  readonly latency: boolean;
  readonly outcome?: SendOutcome;
}

export function trafficRow(context: WorkloadContext, workload: TrafficRow['workload'], shape: string, tally: Tally): TrafficRow {
  const { ledger, cost, outcome } = tally;
  const seconds = ledger.distinct > 0 ? (ledger.lastArrival - tally.startedAt) / 1000 : Number.NaN;
  const latencies = tally.latency ? ledger.sortedLatencies() : new Float64Array(0);
  return {
    workload,
    server: context.nodes.kind,
    shape,
    expected: tally.expected,
    delivered: ledger.distinct,
    loss: tally.expected - ledger.distinct,
    duplicates: ledger.duplicates,
    strays: ledger.strays,
    refused: outcome?.refused ?? 0,
    firstRefusal: outcome?.firstRefusal,
    seconds,
    throughput: ledger.distinct / seconds,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    serverCpuMicrosPerDelivery: cost.serverCpuMicros / ledger.distinct,
    serverCpuShare: cost.serverCpuMicros / cost.wallMicros,
    loadgenCpuShare: cost.loadgenCpuMicros / cost.wallMicros,
    cappedAt: outcome?.capped ? context.capMs / 1000 : undefined,
    acks: tally.acks,
  };
}

/** The write half of the offline queue: a "delivery" here is a message stored and answered `ok`. */
function writeRow(context: WorkloadContext, shape: string, outcome: SendOutcome, cost: Cost): TrafficRow {
  const seconds = (outcome.endedAt - outcome.startedAt) / 1000;
  return {
    workload: 'offline write',
    server: context.nodes.kind,
    shape,
    expected: outcome.sent + outcome.refused,
    delivered: outcome.sent,
    loss: 0,
    duplicates: 0,
    strays: 0,
    refused: outcome.refused,
    firstRefusal: outcome.firstRefusal,
    seconds,
    throughput: outcome.sent / seconds,
    p50: Number.NaN,
    p99: Number.NaN,
    serverCpuMicrosPerDelivery: cost.serverCpuMicros / outcome.sent,
    serverCpuShare: cost.serverCpuMicros / cost.wallMicros,
    loadgenCpuShare: cost.loadgenCpuMicros / cost.wallMicros,
    cappedAt: outcome.capped ? context.capMs / 1000 : undefined,
    acks: { requests: 0, acknowledged: 0, unknown: 0, refused: 0 },
  };
}

/**
 * Flood: one client sends messages as fast as it can, FLOOD_WINDOW at a time, to a friend who
 * is away (so each is stored: the costly request a client can make), while a calm
 * client sends one message every CALM_INTERVAL_MS to an attached friend, on a server with
 * the production limits. The calm client's send → push latency is measured in FLOOD_ROUNDS
 * alternating stretches, alone then under the flood, so that other work on the machine
 * weighs on both alike.
 */
export async function flood(context: WorkloadContext): Promise<FloodRow> {
  const pair = await pairsOf(context, 1);
  const [flooderName, floodedName] = [benchUser(2), benchUser(3)];
  await context.accounts.ensure([flooderName, floodedName]);
  const flooder = await context.accounts.attach(context.nodes.sending, flooderName);
  await context.accounts.befriend(flooder, floodedName);
  const floodText = benchText('flood', 0, 0, 0);
  const [sender] = privateSenders(pair);
  const [receiver] = pair.receivers;
  const count = context.scale.calmMessages;
  const perRound = Math.ceil(count / FLOOD_ROUNDS);
  const calm: number[] = [];
  const flooded: number[] = [];
  const flooding = { answered: 0, refused: 0, seconds: 0 };
  let lost = 0;
  try {
    for (let round = 0; round < FLOOD_ROUNDS; round++) {
      const alone = await paced(sender!, receiver!, `calm${round}`, perRound);
      calm.push(...alone.latencies);
      const stop = { now: false };
      const lanes = Array.from({ length: FLOOD_WINDOW }, async () => {
        while (!stop.now) {
          await flooder.request('send', { to: floodedName, text: floodText }).then(
            () => flooding.answered++,
            () => flooding.refused++,
          );
        }
      });
      const started = performance.now();
      const under = await paced(sender!, receiver!, `flooded${round}`, perRound);
      stop.now = true;
      flooding.seconds += (performance.now() - started) / 1000;
      await Promise.all(lanes);
      flooded.push(...under.latencies);
      lost += alone.lost + under.lost;
    }
    const calmSorted = Float64Array.from(calm).sort();
    const floodedSorted = Float64Array.from(flooded).sort();
    return {
      workload: 'flood',
      server: context.nodes.kind,
      shape: `1 client floods \`send\` to an away friend (${FLOOD_WINDOW} in flight) while 1 calm sender sends a message every ${CALM_INTERVAL_MS} ms to an attached friend, ${FLOOD_ROUNDS} rounds of ${perRound} alone then ${perRound} under the flood; server on its default limits`,
      calmMessages: perRound * FLOOD_ROUNDS,
      calmP50: percentile(calmSorted, 50),
      calmP99: percentile(calmSorted, 99),
      floodedP50: percentile(floodedSorted, 50),
      floodedP99: percentile(floodedSorted, 99),
      ratio: percentile(floodedSorted, 99) / percentile(calmSorted, 99),
      floodAnswered: flooding.answered / flooding.seconds,
      floodRefused: flooding.refused,
      calmLost: lost,
    };
  } finally {
    await closeAll([...pair.senders, ...pair.receivers, flooder]);
  }
}

/** Sends `count` messages one at a time, one every CALM_INTERVAL_MS; resolves with their send → push latencies. */
async function paced(sender: SenderPlan, receiver: Peer, tag: string, count: number): Promise<{ latencies: Float64Array; lost: number }> {
  const ledger = new Ledger(tag, 1, count);
  receiver.onDelivery = (delivery) => ledger.record(0, delivery);
  let refused = 0;
  const startedAt = performance.now();
  for (let seq = 0; seq < count; seq++) {
    await sleep(startedAt + seq * CALM_INTERVAL_MS - performance.now());
    await sender.peer.request(sender.op, sender.args(benchText(tag, 0, seq, performance.now()))).catch(() => refused++);
  }
  await awaitDeliveries(ledger, count - refused);
  await settleAcks([receiver]);
  return { latencies: ledger.sortedLatencies(), lost: count - ledger.distinct };
}
