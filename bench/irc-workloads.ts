/**
 * S1, S2 and S4 in IRC, for ngircd: the same shapes, counts, 64-byte texts and ledger as
 * parley's and the floor's, so the rows sit in one table. IRC answers nothing to a PRIVMSG,
 * so a message is delivered when the receiver's connection reads it, and a sender's window
 * is driven by the receivers' reads, both ends living in this process: a sender has at most
 * `window` messages that some recipient has not read yet (in S2, until all 99 have). That
 * bounds what waits in ngircd's buffers as parley's `ok` does (ngircd drops a client whose
 * unparsed input passes 2 KB), and it is stricter than the `ok`, which parley sends before
 * the push.
 */
import { benchText, Ledger } from './ledger.js';
import { closeAllIrc, IrcPeer } from './irc-peer.js';
import { NGIRCD_OPERATOR } from './ngircd.js';
import { sleep } from './peer.js';
import { awaitDeliveries, measure, type SendOutcome } from './traffic.js';
import { slope, trafficRow, type MemoryRow, type MemorySample, type TrafficRow, type WorkloadContext, type WorkloadName } from './workloads.js';

/** ngircd listens with a backlog of 10, so connections are opened and registered this many at a time. */
const REGISTER_BATCH = 10;
const CHANNEL = '#bench';
const NO_ACKS = { requests: 0, acknowledged: 0, unknown: 0, refused: 0 };

interface IrcPlan {
  readonly workload: WorkloadName;
  readonly shape: string;
  readonly senders: readonly IrcPeer[];
  /** Where sender i's messages go: a nick or the channel. */
  target(sender: number): string;
  readonly receivers: readonly IrcPeer[];
  readonly perSender: number;
  readonly window: number;
  /** How many receivers read each message. */
  readonly fanOut: number;
}

/** S1: sender→receiver pairs, every sender pipelining PRIVMSGs to its receiver's nick. */
export async function ircPrivatePairs(context: WorkloadContext): Promise<TrafficRow[]> {
  const { pairs, perPair, window } = context.scale;
  const peers = await registerMany(context, Array.from({ length: 2 * pairs }, (_, i) => `s1u${i}`));
  const senders = peers.filter((_, i) => i % 2 === 0);
  const receivers = peers.filter((_, i) => i % 2 === 1);
  try {
    return [
      await ircLive(context, {
        workload: 'S1',
        shape: `${pairs} pairs × ${perPair} PRIVMSGs, ${window} unread per sender`,
        senders,
        target: (i) => receivers[i]!.nick,
        receivers,
        perSender: perPair,
        window,
        fanOut: 1,
      }),
    ];
  } finally {
    await closeAllIrc(peers);
  }
}

/** S2: one channel, every member joined, a few members sending PRIVMSGs to it. */
export async function ircGroupFanOut(context: WorkloadContext): Promise<TrafficRow[]> {
  const { members, groupSenders, perGroupSender, window } = context.scale;
  const peers = await registerMany(context, Array.from({ length: members }, (_, i) => `s2u${i}`));
  try {
    for (let start = 0; start < peers.length; start += REGISTER_BATCH) {
      await Promise.all(peers.slice(start, start + REGISTER_BATCH).map((peer) => peer.join(CHANNEL)));
    }
    return [
      await ircLive(context, {
        workload: 'S2',
        shape: `channel of ${members} joined, ${groupSenders} senders × ${perGroupSender} PRIVMSGs, ${window} not yet read by every member, per sender`,
        senders: peers.slice(0, groupSenders),
        target: () => CHANNEL,
        receivers: peers,
        perSender: perGroupSender,
        window,
        fanOut: members - 1,
      }),
    ];
  } finally {
    await closeAllIrc(peers);
  }
}

/** S4: on a fresh server, what each idle registered connection adds to the server's RSS. */
/** S4 for ngircd: RSS at each batch of idle registered connections (a C server's RSS needs no collection to settle). */
export async function ircIdleMemory(context: WorkloadContext): Promise<MemoryRow> {
  const { idleConnections, idleSeconds, memorySteps } = context.scale;
  const server = context.nodes.receiving;
  const sample = async (connections: number): Promise<MemorySample> => {
    await sleep(idleSeconds * 1000);
    const rss = server.rssBytes();
    return { connections, rawRssBytes: rss, settledRssBytes: rss, heapUsedBytes: 0 };
  };
  const samples = [await sample(0)];
  const peers: IrcPeer[] = [];
  try {
    for (let step = 1; step <= memorySteps; step++) {
      const target = Math.round((idleConnections * step) / memorySteps);
      peers.push(...(await registerMany(context, Array.from({ length: target - peers.length }, (_, i) => `idle${peers.length + i}`))));
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
      heapPerConnectionBytes: Number.NaN,
      samples,
    };
  } finally {
    await closeAllIrc(peers);
  }
}

async function registerMany(context: WorkloadContext, nicks: readonly string[]): Promise<IrcPeer[]> {
  const peers: IrcPeer[] = [];
  try {
    for (let start = 0; start < nicks.length; start += REGISTER_BATCH) {
      const batch = nicks.slice(start, start + REGISTER_BATCH);
      peers.push(...(await Promise.all(batch.map((nick) => IrcPeer.register(context.nodes.sending.port, nick)))));
    }
  } catch (error) {
    await closeAllIrc(peers);
    throw error;
  }
  return peers;
}

/** Sends the plan's messages and measures until the last one is read, or the drain time passed. */
async function ircLive(context: WorkloadContext, plan: IrcPlan): Promise<TrafficRow> {
  // Limits lifted as parley's are: with +F ngircd parses 10 pipelined lines of a sender per
  // pass of its loop instead of 3 (S1 here: 2.5 µs of server CPU per message instead of 4.0).
  await Promise.all(plan.senders.map((peer) => peer.relaxFloodProtection(NGIRCD_OPERATOR.name, NGIRCD_OPERATOR.password)));
  const ledger = new Ledger(plan.workload, plan.receivers.length, plan.perSender);
  const { result: outcome, cost } = await measure(context.nodes, async () => {
    const sent = await sendAllIrc(context, plan, ledger);
    await awaitDeliveries(ledger, sent.sent * plan.fanOut);
    return sent;
  });
  return trafficRow(context, plan.workload, plan.shape, {
    ledger,
    expected: outcome.sent * plan.fanOut,
    startedAt: outcome.startedAt,
    cost,
    acks: NO_ACKS,
    latency: true,
    outcome,
  });
}

/**
 * Every sender sends until it has `window` messages not yet read by all their recipients,
 * and sends again from the receivers' read callbacks; resolves once every message is
 * written, or at the cap (a lost message holds its window slot, so the cap also ends a
 * stalled run).
 */
function sendAllIrc(context: WorkloadContext, plan: IrcPlan, ledger: Ledger): Promise<SendOutcome> {
  const { senders, perSender, window, fanOut } = plan;
  const unread = senders.map(() => new Uint16Array(perSender).fill(fanOut));
  const inFlight = new Int32Array(senders.length);
  const next = new Int32Array(senders.length);
  const startedAt = performance.now();
  let sent = 0;
  let finished = 0;
  let capped = false;
  return new Promise((resolve) => {
    const end = () => {
      clearTimeout(cap);
      resolve({ sent, refused: 0, firstRefusal: undefined, capped, startedAt, endedAt: performance.now() });
    };
    const cap = setTimeout(() => {
      capped = true;
      end();
    }, context.capMs);
    const pump = (sender: number) => {
      const peer = senders[sender]!;
      const target = plan.target(sender);
      while (!capped && inFlight[sender]! < window && next[sender]! < perSender) {
        peer.privmsg(target, benchText(plan.workload, sender, next[sender]!, performance.now()));
        next[sender]!++;
        inFlight[sender]!++;
        sent++;
        if (next[sender] === perSender && ++finished === senders.length) end();
      }
    };
    plan.receivers.forEach((peer, receiver) => {
      peer.onPrivmsg = (text) => {
        if (!ledger.record(receiver, { id: 0, text })) return;
        const [, sender, seq] = text.split('|', 3);
        const s = Number(sender);
        if (--unread[s]![Number(seq)]! === 0) {
          inFlight[s]!--;
          pump(s);
        }
      };
    });
    senders.forEach((_, sender) => pump(sender));
  });
}
