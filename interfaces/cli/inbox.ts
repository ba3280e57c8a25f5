import type { ChatClient, ServerEvent } from '../client/chat-client.js';
import type { MessagePayload } from '../wire/message-payload.js';
import type { CliContext } from './cli-context.js';
import { eventJson } from './json-output.js';
import { displayName } from './display.js';
import { formatMessage } from './message-format.js';

/** A delivery, as the server pushes it. */
export type Delivery = Extract<ServerEvent, { type: 'message' }>;

/** Shows a delivery: `line` is what chatctl prints of it (the display line, or with --json its NDJSON object). */
export type Show = (line: string, delivery: Delivery) => void;

/** What chatctl prints of a delivery: the display line, or with --json one JSON object (a line of NDJSON). */
export function deliveryLine(json: boolean, delivery: Delivery): string {
  return json ? JSON.stringify(eventJson(delivery)) : formatMessage(delivery.message);
}

/** A presence change, as the server pushes it. */
export type PresenceChange = Extract<ServerEvent, { type: 'presence' | 'group-presence' }>;

/**
 * What chatctl prints of a presence change: a friend's as `* bob is online` or `* bob went
 * offline`; with --json every change, group counts too, as one JSON object. Group counts alone
 * print nothing on a terminal, to keep it quiet (`groups` shows them).
 */
export function presenceLine(json: boolean, change: PresenceChange): string | null {
  if (json) return JSON.stringify(eventJson(change));
  if (change.type === 'group-presence') return null;
  return `* ${displayName(change.username)} ${change.online ? 'is online' : 'went offline'}`;
}

/** How many shown ids the profile remembers. */
const SEEN_KEPT = 1000;

/** How long deliveries are gathered before they are acknowledged in one request. */
export const ACK_DELAY_MS = 50;

/** What an inbox needs of its command: the profile that remembers shown ids, and the output format. */
export type InboxContext = Pick<CliContext, 'profiles'> & { readonly args: { readonly json: boolean } };

/**
 * Shows pushed messages once each and acknowledges them: shown first, remembered in the
 * profile, then acknowledged, so a crash in between shows nothing twice and loses nothing.
 * One flush runs at a time; ids received meanwhile, or kept by a failed flush, go in the next.
 */
export class Inbox {
  private readonly pending: number[] = [];
  private flushing: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  private constructor(
    private readonly context: InboxContext,
    private readonly client: Pick<ChatClient, 'ack'>,
    private readonly show: Show,
    private readonly seen: number[],
  ) {}

  static async open(
    context: InboxContext,
    client: Pick<ChatClient, 'ack'>,
    show: Show = (line) => process.stdout.write(`${line}\n`),
  ): Promise<Inbox> {
    return new Inbox(context, client, show, (await context.profiles.read()).seen ?? []);
  }

  /** Shows a delivery unless this profile already showed it; either way it will be acknowledged, within ACK_DELAY_MS unless stopped. */
  receive(id: number, message: MessagePayload): void {
    if (!this.seen.includes(id)) {
      const delivery: Delivery = { type: 'message', id, message };
      this.show(deliveryLine(this.context.args.json, delivery), delivery);
      this.seen.push(id);
    }
    this.pending.push(id);
    this.schedule();
  }

  /**
   * Remembers what was shown, then acknowledges every id received so far, after any flush
   * already running. Rejects if that fails; the ids are kept for the next flush, since the
   * server keeps them too and acknowledging twice is harmless.
   */
  async flush(): Promise<void> {
    while (this.flushing) await this.flushing;
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending.length === 0) return;
    const ids = this.pending.splice(0);
    const attempt = this.remember().then(() => this.client.ack(ids));
    this.flushing = attempt.then(
      () => undefined,
      () => undefined,
    );
    try {
      await attempt;
    } catch (error) {
      this.pending.unshift(...ids);
      throw error;
    } finally {
      this.flushing = undefined;
    }
    // Only after a success: a failed flush must not retry on a timer against a connection that is gone.
    this.schedule();
  }

  /** No more timed flushes; what is pending waits for an explicit `flush`. */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(): void {
    if (this.stopped || this.timer || this.flushing || this.pending.length === 0) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      // A failed flush keeps its ids; the next delivery, or the last flush, tries them again.
      this.flush().catch(() => undefined);
    }, ACK_DELAY_MS);
  }

  private async remember(): Promise<void> {
    if (this.seen.length > SEEN_KEPT) this.seen.splice(0, this.seen.length - SEEN_KEPT);
    await this.context.profiles.update((profile) => ({ ...profile, seen: [...this.seen] }));
  }
}
