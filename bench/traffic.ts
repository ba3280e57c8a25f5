import { benchText, type Ledger } from './ledger.js';
import { sleep, type AckStats, type Peer } from './peer.js';
import type { Nodes } from './server-process.js';

/** After the last send, how long deliveries and acknowledgements may take to arrive. */
export const DRAIN_MS = 60_000;
/** How far past its cap a send phase may run before its connections are cut. */
const WATCHDOG_GRACE_MS = 60_000;

/** One sending connection and the request each of its messages goes out as. */
export interface SenderPlan {
  readonly peer: Peer;
  readonly op: string;
  args(text: string): Record<string, unknown>;
}

export interface SendPlan {
  readonly tag: string;
  readonly senders: readonly SenderPlan[];
  readonly perSender: number;
  /** Most requests awaiting their `ok` at once, per sender. */
  readonly window: number;
  /** Past this, no new message is sent; what is in flight is still awaited. */
  readonly capMs: number;
}

export interface SendOutcome {
  /** Sends the server answered `ok`. */
  readonly sent: number;
  readonly refused: number;
  readonly firstRefusal: string | undefined;
  /** The cap stopped some sender before its last message. */
  readonly capped: boolean;
  readonly startedAt: number;
  readonly endedAt: number;
}

/** Server and load-generator CPU over a stretch of wall time. */
export interface Cost {
  readonly serverCpuMicros: number;
  readonly loadgenCpuMicros: number;
  readonly wallMicros: number;
}

/** Sends every sender's messages, each sender keeping up to `window` unanswered, until done or capped. */
export async function sendAll(plan: SendPlan): Promise<SendOutcome> {
  const startedAt = performance.now();
  const deadline = startedAt + plan.capMs;
  const watchdog = setTimeout(() => void Promise.all(plan.senders.map((sender) => sender.peer.close())), plan.capMs + WATCHDOG_GRACE_MS);
  const outcomes = await Promise.all(plan.senders.map((sender, index) => sendFrom(sender, index, plan, deadline)));
  clearTimeout(watchdog);
  const refusals = outcomes.filter((o) => o.firstRefusal !== undefined);
  return {
    sent: outcomes.reduce((sum, o) => sum + o.sent, 0),
    refused: outcomes.reduce((sum, o) => sum + o.refused, 0),
    firstRefusal: refusals[0]?.firstRefusal,
    capped: outcomes.some((o) => o.next < plan.perSender && o.refused === 0),
    startedAt,
    endedAt: performance.now(),
  };
}

async function sendFrom(sender: SenderPlan, index: number, plan: SendPlan, deadline: number) {
  const state = { next: 0, sent: 0, refused: 0, firstRefusal: undefined as string | undefined };
  const lane = async () => {
    while (state.next < plan.perSender && state.refused === 0 && performance.now() < deadline) {
      const text = benchText(plan.tag, index, state.next++, performance.now());
      try {
        await sender.peer.request(sender.op, sender.args(text));
        state.sent++;
      } catch (error) {
        state.refused++;
        state.firstRefusal ??= error instanceof Error ? error.message : String(error);
      }
    }
  };
  await Promise.all(Array.from({ length: plan.window }, lane));
  return state;
}

/** Waits until the ledger holds `expected` distinct deliveries, or `timeoutMs` passed. */
export async function awaitDeliveries(ledger: Ledger, expected: number, timeoutMs = DRAIN_MS): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (ledger.distinct < expected && performance.now() < deadline) await sleep(5);
}

/** Waits until every receiver's gathered acknowledgements have been answered. */
export async function settleAcks(receivers: readonly Peer[]): Promise<void> {
  await Promise.all(receivers.map((peer) => peer.settleAcks(DRAIN_MS)));
}

export function sumAcks(peers: readonly Peer[]): AckStats {
  const total: AckStats = { requests: 0, acknowledged: 0, unknown: 0, refused: 0 };
  for (const { acks } of peers) {
    total.requests += acks.requests;
    total.acknowledged += acks.acknowledged;
    total.unknown += acks.unknown;
    total.refused += acks.refused;
  }
  return total;
}

/** Runs `work` and says what CPU it cost the servers (every node, all their threads) and this process. */
export async function measure<T>(nodes: Nodes, work: () => Promise<T>): Promise<{ result: T; cost: Cost }> {
  const serverBefore = nodes.cpuMicros();
  const loadgenBefore = process.cpuUsage();
  const startedAt = performance.now();
  const result = await work();
  const loadgen = process.cpuUsage(loadgenBefore);
  return {
    result,
    cost: {
      serverCpuMicros: nodes.cpuMicros() - serverBefore,
      loadgenCpuMicros: loadgen.user + loadgen.system,
      wallMicros: (performance.now() - startedAt) * 1000,
    },
  };
}
