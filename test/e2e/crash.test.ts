import { expect } from 'chai';
import { ChatClient, type ServerEvent } from '../../interfaces/client/chat-client.js';
import { ChatError } from '../../interfaces/client/chat-error.js';
import { eventually, registerCheaply, World } from '../support/world.js';

const PAIRS = 20;
const WINDOW = 16;
const MOST_PER_SENDER = 200;
/** The server is killed once this many sends have been answered `ok`. */
const OKS_BEFORE_KILL = (PAIRS * MOST_PER_SENDER) / 3;
/** Receivers gather acknowledgements this long, as `chatctl listen` does. */
const ACK_DELAY_MS = 50;

interface Delivery {
  readonly id: number;
  readonly from: string;
  readonly text: string;
}

/** One login's deliveries, in the order they arrived, acknowledged in batches as they come (as `chatctl listen` does). */
class Receiver {
  readonly deliveries: Delivery[] = [];
  private batch: number[] = [];
  private client: ChatClient | undefined;

  /** Logs in, which pushes the backlog before it answers. */
  static async login(world: World, name: string): Promise<Receiver> {
    const receiver = new Receiver();
    receiver.client = await world.client(name, (event) => receiver.receive(event));
    return receiver;
  }

  /** Attaches with the session token of an earlier login, as `chatctl listen` does; the backlog comes before the answer. */
  static async attach(world: World, token: string): Promise<Receiver> {
    const receiver = new Receiver();
    const client = await ChatClient.connect({ port: world.server.port, token });
    client.on('event', (event) => receiver.receive(event));
    await client.request('attach');
    receiver.client = client;
    return receiver;
  }

  get token(): string {
    return this.client!.token!;
  }

  async acknowledge(): Promise<void> {
    if (this.client) await this.client.ack(this.batch.splice(0));
  }

  close(): Promise<void> {
    return this.client!.close();
  }

  private receive(event: ServerEvent): void {
    if (event.type !== 'message') return;
    const from = event.message.kind === 'private' ? event.message.from : '';
    this.deliveries.push({ id: event.id, from, text: event.message.text });
    if (this.batch.length === 0) setTimeout(() => void this.acknowledge().catch(() => undefined), ACK_DELAY_MS);
    this.batch.push(event.id);
  }
}

/** Sends `sender#seq` with WINDOW sends awaiting their answer at once, until done or the connection is lost, noting seq → id of each `ok`. */
async function sendUntilLost(client: ChatClient, sender: string, to: string, oks: Map<number, number>, onOk: () => void): Promise<void> {
  let next = 0;
  let lost = false;
  await Promise.all(
    Array.from({ length: WINDOW }, async () => {
      while (!lost && next < MOST_PER_SENDER) {
        const seq = next++;
        try {
          const { message } = await client.request('send', { to, text: `${sender}#${seq}` });
          oks.set(seq, message.id);
          onOk();
        } catch (error) {
          if (!(error instanceof ChatError && error.status === 'connection')) throw error;
          lost = true;
        }
      }
    }),
  );
}

describe('a server killed under load, end to end with real processes', function () {
  this.timeout(60_000);
  let world: World;

  const pairs = Array.from({ length: PAIRS }, (_, i) => ({ sender: `sender${i}`, receiver: `receiver${i}` }));

  beforeEach(async () => {
    world = await World.start((db) => registerCheaply(db, pairs.flatMap((p) => [p.sender, p.receiver])));
  });
  afterEach(() => world.stop());

  it('delivers every message whose sender saw ok, once each and in order, through kill -9 and a restart', async () => {
    const receivers = await Promise.all(pairs.map((p) => Receiver.login(world, p.receiver)));
    const senders = await Promise.all(pairs.map((p) => world.client(p.sender)));
    await Promise.all(senders.map((client, i) => client.request('add', { username: pairs[i]!.receiver })));

    const oks = pairs.map(() => new Map<number, number>());
    let okCount = 0;
    const sending = Promise.all(senders.map((client, i) => sendUntilLost(client, pairs[i]!.sender, pairs[i]!.receiver, oks[i]!, () => okCount++)));
    await eventually(async () => okCount >= OKS_BEFORE_KILL, 20_000);
    await world.restart('SIGKILL');
    await sending;
    expect(okCount, 'the kill came while senders were still sending').to.be.below(PAIRS * MOST_PER_SENDER);

    const drained = await Promise.all(
      receivers.map(async ({ token }) => {
        const again = await Receiver.attach(world, token);
        await again.acknowledge();
        return again;
      }),
    );
    await eventually(async () => (await world.query((db) => db('queued_deliveries').count({ n: '*' })))[0]!.n === 0);

    for (const [i, { sender }] of pairs.entries()) {
      const connections = [receivers[i]!, drained[i]!].map((r) => r.deliveries.filter((d) => d.from === sender));
      for (const deliveries of connections) {
        const ids = deliveries.map((d) => d.id);
        expect(ids, `${sender}'s deliveries on one connection arrive oldest first`).to.deep.equal([...ids].sort((a, b) => a - b));
      }
      const byId = new Map(connections.flat().map((d) => [d.id, d.text]));
      for (const [seq, id] of oks[i]!) expect(byId.get(id), `${sender}#${seq}, ok'd as ${id}`).to.equal(`${sender}#${seq}`);
      const seqs = [...byId].sort(([a], [b]) => a - b).map(([, text]) => Number(text.split('#')[1]));
      expect(new Set(seqs).size, `${sender}: no message twice under two ids`).to.equal(seqs.length);
      expect(seqs, `${sender}: ids follow the order of sending`).to.deep.equal([...seqs].sort((a, b) => a - b));
    }
    await Promise.all([...senders, ...receivers, ...drained].map((peer) => peer.close()));
  });
});
