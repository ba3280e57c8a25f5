import { expect } from 'chai';
import { setTimeout as sleep } from 'node:timers/promises';
import { ACK_DELAY_MS, Inbox, presenceLine, type PresenceChange } from '../../../interfaces/cli/inbox.js';
import { ProfileStore } from '../../../interfaces/cli/profile-store.js';
import type { AckResult } from '../../../interfaces/wire/operations.js';
import type { MessagePayload } from '../../../interfaces/wire/message-payload.js';
import { temporaryDirectory } from '../../support/processes.js';

/** A client whose `ack` requests wait until the test answers or fails them, oldest first. */
class SlowServer {
  readonly requests: number[][] = [];
  readonly acknowledged = new Set<number>();
  inFlight = 0;
  mostInFlight = 0;
  private readonly waiting: { answer(): void; fail(error: Error): void }[] = [];

  ack(ids: readonly number[]): Promise<AckResult> {
    this.requests.push([...ids]);
    this.mostInFlight = Math.max(this.mostInFlight, ++this.inFlight);
    return new Promise((resolve, reject) => {
      this.waiting.push({
        answer: () => {
          this.inFlight--;
          const acknowledged = ids.filter((id) => !this.acknowledged.has(id));
          for (const id of ids) this.acknowledged.add(id);
          resolve({ acknowledged, unknown: ids.filter((id) => !acknowledged.includes(id)) });
        },
        fail: (error) => {
          this.inFlight--;
          reject(error);
        },
      });
    });
  }

  answer(): void {
    this.waiting.shift()!.answer();
  }

  fail(error: Error): void {
    this.waiting.shift()!.fail(error);
  }
}

const message = (text: string): MessagePayload => ({ kind: 'private', from: 'alice', fromAdmin: false, text, sentAt: '2026-11-25T12:00:00.000Z' });

async function until(check: () => boolean, ms = 2000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(5);
  }
}

describe('the inbox of listen and shell', () => {
  let tmp: ReturnType<typeof temporaryDirectory>;
  let profiles: ProfileStore;
  let server: SlowServer;
  let shown: string[];
  let inbox: Inbox;

  beforeEach(async () => {
    tmp = temporaryDirectory();
    profiles = new ProfileStore(tmp.path, 'bob');
    await profiles.write({ username: 'bob', token: 't' });
    server = new SlowServer();
    shown = [];
    inbox = await Inbox.open({ profiles, args: { json: false } }, server, (line) => shown.push(line));
  });
  afterEach(() => {
    inbox.stop();
    tmp.remove();
  });

  it('acknowledges what arrives during a flush in the next one, never running two at once', async () => {
    inbox.receive(1, message('one'));
    inbox.receive(2, message('two'));
    const first = inbox.flush();
    await until(() => server.requests.length === 1);
    inbox.receive(3, message('three'));
    const second = inbox.flush();
    inbox.receive(4, message('four'));
    await sleep(3 * ACK_DELAY_MS);
    expect(server.requests).to.deep.equal([[1, 2]]);
    server.answer();
    await first;
    await until(() => server.requests.length === 2);
    expect(server.requests[1]).to.deep.equal([3, 4]);
    server.answer();
    await second;
    expect(server.mostInFlight).to.equal(1);
    expect([...server.acknowledged]).to.deep.equal([1, 2, 3, 4]);
    expect((await profiles.read()).seen).to.deep.equal([1, 2, 3, 4]);
    expect(shown).to.have.length(4);
  });

  it('flushes on its own shortly after a delivery, and gathers the ones that arrive while it runs', async () => {
    inbox.receive(1, message('one'));
    await until(() => server.requests.length === 1);
    for (let id = 2; id <= 5; id++) {
      inbox.receive(id, message(`m${id}`));
      await sleep(ACK_DELAY_MS);
    }
    expect(server.requests).to.have.length(1);
    server.answer();
    await until(() => server.requests.length === 2);
    expect(server.requests[1]).to.deep.equal([2, 3, 4, 5]);
    server.answer();
    await until(() => server.acknowledged.size === 5);
    expect(server.mostInFlight).to.equal(1);
    expect((await profiles.read()).seen).to.deep.equal([1, 2, 3, 4, 5]);
  });

  it('keeps the ids of a failed flush for the next one, without retrying on a timer', async () => {
    inbox.receive(1, message('one'));
    inbox.receive(2, message('two'));
    const failing = inbox.flush();
    await until(() => server.requests.length === 1);
    server.fail(new Error('connection lost'));
    const error = await failing.then(
      () => undefined,
      (e: Error) => e,
    );
    expect(error?.message).to.equal('connection lost');
    await sleep(3 * ACK_DELAY_MS);
    expect(server.requests).to.have.length(1);
    inbox.receive(3, message('three'));
    const retry = inbox.flush();
    await until(() => server.requests.length === 2);
    expect(server.requests[1]).to.deep.equal([1, 2, 3]);
    server.answer();
    await retry;
    expect([...server.acknowledged]).to.deep.equal([1, 2, 3]);
  });

  it('takes a repeat of an acknowledged id, answered as unknown, as done, and shows nothing twice', async () => {
    inbox.receive(1, message('one'));
    const first = inbox.flush();
    await until(() => server.requests.length === 1);
    server.answer();
    await first;
    inbox.receive(1, message('one'));
    const again = inbox.flush();
    await until(() => server.requests.length === 2);
    server.answer();
    await again;
    await inbox.flush();
    expect(server.requests).to.deep.equal([[1], [1]]);
    expect(shown).to.deep.equal([shown[0]]);
  });
});

describe('presence lines of listen and shell', () => {
  it("print a friend's change on one quiet line, and group counts only with --json", () => {
    expect(presenceLine(false, { type: 'presence', username: 'bob', online: true })).to.equal('* bob is online');
    expect(presenceLine(false, { type: 'presence', username: 'bob', online: false })).to.equal('* bob went offline');
    const counts: PresenceChange = { type: 'group-presence', groups: [{ id: 3, name: 'team', online: 2, total: 5 }] };
    expect(presenceLine(false, counts)).to.equal(null);
    expect(JSON.parse(presenceLine(true, counts)!)).to.deep.equal({ type: 'group-presence', groups: [{ id: 3, name: 'team', online: 2, members: 5 }] });
    expect(JSON.parse(presenceLine(true, { type: 'presence', username: 'bob', online: false })!)).to.deep.equal({ type: 'presence', username: 'bob', online: false });
  });

  it('show a name with control characters escaped, as every other line does', () => {
    expect(presenceLine(false, { type: 'presence', username: 'bob\u001b[2J', online: true })).to.not.include('\u001b');
  });
});
