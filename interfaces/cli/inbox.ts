import type { ChatClient } from '../client/chat-client.js';
import type { MessagePayload } from '../wire/message-payload.js';
import type { CliContext } from './cli-context.js';
import { formatMessage } from './message-format.js';

/** How many shown ids the profile remembers. */
const SEEN_KEPT = 1000;

/**
 * Shows pushed messages once each and acknowledges them: shown first, remembered in the
 * profile, then acknowledged, so a crash in between shows nothing twice and loses nothing.
 */
export class Inbox {
  private readonly pending: number[] = [];

  private constructor(
    private readonly context: CliContext,
    private readonly client: ChatClient,
    private readonly show: (line: string) => void,
    private readonly seen: number[],
  ) {}

  static async open(
    context: CliContext,
    client: ChatClient,
    show: (line: string) => void = (line) => process.stdout.write(`${line}\n`),
  ): Promise<Inbox> {
    return new Inbox(context, client, show, (await context.profiles.read()).seen ?? []);
  }

  /** Shows a delivery unless this profile already showed it; either way it will be acknowledged. */
  receive(id: number, message: MessagePayload): void {
    if (!this.seen.includes(id)) {
      this.show(this.context.args.json ? JSON.stringify({ id, ...message }) : formatMessage(message));
      this.seen.push(id);
    }
    this.pending.push(id);
  }

  /** Remembers what was shown, then acknowledges it to the server. */
  async flush(): Promise<void> {
    if (this.pending.length === 0) return;
    const ids = this.pending.splice(0);
    if (this.seen.length > SEEN_KEPT) this.seen.splice(0, this.seen.length - SEEN_KEPT);
    await this.context.profiles.update((profile) => ({ ...profile, seen: [...this.seen] }));
    await this.client.acknowledge(ids);
  }
}
