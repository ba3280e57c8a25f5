import { expect } from 'chai';
import type { Notice, SessionHub } from '../../application/ports/session-hub.js';
import type { OfflineMessage, UserId, Username } from '../../domain/index.js';
import { RecordingSink } from '../support/fakes.js';
import { eventually } from '../support/world.js';

/** The grace period the contract's hubs are made with: short, so an offline is announced soon. */
export const CONTRACT_GRACE_MS = 100;

/** A grace period no test outlasts, for the cases that look at a user while it runs. */
const LONG_GRACE_MS = 60_000;

/** The kicks that end a session for good, so presence at once, and the takeover, which does not. */
const FINAL_KICKS = ['LOGGED_OUT', 'USER_BANNED', 'PASSWORD_CHANGED', 'ACCOUNT_DELETED'] as const;

/** Records a hub's presence announcements, as `7 online` / `7 offline`. */
function presenceLog(hub: SessionHub): string[] {
  const heard: string[] = [];
  hub.onPresence((userId, online) => heard.push(`${userId} ${online ? 'online' : 'offline'}`));
  return heard;
}

/**
 * Waits until user 99 comes and goes: announced after whatever was pending before it, since its
 * grace period began later, it shows nothing else is still to come.
 */
async function settle(hub: SessionHub, heard: readonly string[]): Promise<void> {
  const marker = new RecordingSink();
  await hub.attach(99, marker);
  await hub.detach(99, marker);
  await eventually(async () => heard.includes('99 offline'));
}

const delivery = (id: number, recipientId: UserId): OfflineMessage => ({
  id,
  recipientId,
  message: { kind: 'private', from: { id: 99, username: 'bob' as Username }, fromAdmin: false, text: `m${id}`, sentAt: new Date(0) },
});

/**
 * What every session hub does, in one process or across many; `make` gives a fresh hub with the
 * presence grace period asked for (CONTRACT_GRACE_MS unless a case needs a long one), `close`
 * lets it go.
 */
export function describeSessionHub(
  name: string,
  make: (presenceGraceMs: number) => Promise<SessionHub>,
  close: (hub: SessionHub) => Promise<void> = async () => {},
): void {
  describe(`session hub contract: ${name}`, () => {
    let hub: SessionHub;
    let extra: SessionHub[] = [];
    /** A hub of its own whose grace period outlasts the case: what it says during the grace cannot race the timer. */
    const slowHub = async () => {
      const slow = await make(LONG_GRACE_MS);
      extra.push(slow);
      return slow;
    };
    beforeEach(async () => {
      hub = await make(CONTRACT_GRACE_MS);
    });
    afterEach(async () => {
      await Promise.all([hub, ...extra].map(close));
      extra = [];
    });

    it('counts a user online while at least one connection is attached, and through the grace period after the last', async () => {
      const [a, b] = [new RecordingSink(), new RecordingSink()];
      await hub.attach(7, a);
      await hub.attach(7, b);
      await hub.detach(7, a);
      expect(await hub.onlineAmong([7, 8])).to.deep.equal(new Set([7]));
      const heard = presenceLog(hub);
      await hub.detach(7, b);
      await eventually(async () => heard.includes('7 offline'));
      expect(await hub.onlineAmong([7, 8])).to.deep.equal(new Set());
    });

    it('counts a user whose last connection went online until the grace period is over, as presence does', async () => {
      const slow = await slowHub();
      const heard = presenceLog(slow);
      const [a, b] = [new RecordingSink(), new RecordingSink()];
      await slow.attach(7, a);
      await slow.detach(7, a);
      expect(await slow.onlineAmong([7, 8])).to.deep.equal(new Set([7]));
      await slow.attach(7, b);
      expect(await slow.onlineAmong([7, 8])).to.deep.equal(new Set([7]));
      await slow.detach(7, b);
      expect(await slow.onlineAmong([7, 8])).to.deep.equal(new Set([7]));
      expect(heard).to.deep.equal(['7 online']);
    });

    it('keeps the grace period on a takeover: the user replaced by a newer login still counts online, and nothing is announced', async () => {
      const slow = await slowHub();
      const heard = presenceLog(slow);
      const [old, newer] = [new RecordingSink(), new RecordingSink()];
      await slow.attach(7, old);
      await slow.kick(7, 'SESSION_REPLACED', 'elsewhere');
      expect(await slow.onlineAmong([7])).to.deep.equal(new Set([7]));
      await slow.attach(7, newer);
      expect(await slow.onlineAmong([7])).to.deep.equal(new Set([7]));
      expect(heard).to.deep.equal(['7 online']);
    });

    for (const reason of FINAL_KICKS) {
      it(`takes the user offline at once on a ${reason} kick, with no grace period, and announces it then`, async () => {
        const slow = await slowHub();
        const heard = presenceLog(slow);
        const [a, b] = [new RecordingSink(), new RecordingSink()];
        await slow.attach(7, a);
        await slow.attach(7, b);
        await slow.kick(7, reason, 'gone');
        expect(await slow.onlineAmong([7])).to.deep.equal(new Set());
        expect(heard).to.deep.equal(['7 online', '7 offline']);
      });
    }

    it('cuts short the grace period of a user who already left when a kick ends their session, announcing offline once', async () => {
      const slow = await slowHub();
      const heard = presenceLog(slow);
      const sink = new RecordingSink();
      await slow.attach(7, sink);
      await slow.detach(7, sink);
      expect(await slow.onlineAmong([7])).to.deep.equal(new Set([7]));
      await slow.kick(7, 'USER_BANNED', 'banned');
      expect(await slow.onlineAmong([7])).to.deep.equal(new Set());
      expect(heard).to.deep.equal(['7 online', '7 offline']);
      // Offline already: a second end, or a user never seen, announces nothing.
      await slow.kick(7, 'LOGGED_OUT', 'bye');
      await slow.kick(8, 'ACCOUNT_DELETED', 'deleted');
      expect(heard).to.deep.equal(['7 online', '7 offline']);
      // And nothing is left pending: back later, they are announced online afresh.
      await slow.attach(7, new RecordingSink());
      expect(heard).to.deep.equal(['7 online', '7 offline', '7 online']);
    });

    it('keeps the user online when a kick that ends sessions spares a connection', async () => {
      const slow = await slowHub();
      const heard = presenceLog(slow);
      const [a, keep] = [new RecordingSink(), new RecordingSink()];
      await slow.attach(7, a);
      await slow.attach(7, keep);
      await slow.kick(7, 'PASSWORD_CHANGED', 'changed', keep);
      expect(await slow.onlineAmong([7])).to.deep.equal(new Set([7]));
      expect(heard).to.deep.equal(['7 online']);
    });

    it('answers presence for many users in one call, and for none', async () => {
      for (const id of [1, 3, 5]) await hub.attach(id, new RecordingSink());
      expect(await hub.onlineAmong([1, 2, 3, 4, 5, 6])).to.deep.equal(new Set([1, 3, 5]));
      expect(await hub.onlineAmong([])).to.deep.equal(new Set());
    });

    it('ignores detaching a connection that was never attached', async () => {
      await hub.attach(7, new RecordingSink());
      await hub.detach(7, new RecordingSink());
      await hub.detach(8, new RecordingSink());
      expect(await hub.onlineAmong([7])).to.deep.equal(new Set([7]));
    });

    it('pushes to every connection of each recipient, in the order given, and to nobody else', async () => {
      const [a, b, other] = [new RecordingSink(), new RecordingSink(), new RecordingSink()];
      await hub.attach(7, a);
      await hub.attach(7, b);
      await hub.attach(8, other);
      await hub.deliver([delivery(1, 7), delivery(2, 9), delivery(3, 7), delivery(4, 8)]);
      expect(a.pushed.map((d) => d.id)).to.deep.equal([1, 3]);
      expect(b.pushed.map((d) => d.id)).to.deep.equal([1, 3]);
      expect(other.pushed.map((d) => d.id)).to.deep.equal([4]);
    });

    it('kicks every connection but the one kept, with the reason, and forgets them', async () => {
      const [a, b, keep] = [new RecordingSink(), new RecordingSink(), new RecordingSink()];
      for (const sink of [a, b, keep]) await hub.attach(7, sink);
      await hub.kick(7, 'SESSION_REPLACED', 'elsewhere', keep);
      expect(a.kicks).to.deep.equal([{ reason: 'SESSION_REPLACED', message: 'elsewhere' }]);
      expect(b.kicks).to.deep.equal([{ reason: 'SESSION_REPLACED', message: 'elsewhere' }]);
      expect(keep.kicks).to.deep.equal([]);
      await hub.deliver([delivery(1, 7)]);
      expect([a, b, keep].map((sink) => sink.pushed.length)).to.deep.equal([0, 0, 1]);
    });

    it('takes the user offline when every connection is kicked', async () => {
      await hub.attach(7, new RecordingSink());
      await hub.kick(7, 'USER_BANNED', 'banned');
      expect(await hub.onlineAmong([7])).to.deep.equal(new Set());
    });

    it('tells session-end listeners of every kick, attached or not', async () => {
      const ended: UserId[] = [];
      hub.onSessionEnded((userId) => ended.push(userId));
      await hub.attach(7, new RecordingSink());
      await hub.kick(7, 'LOGGED_OUT', 'bye');
      await hub.kick(8, 'USER_BANNED', 'banned');
      expect(ended).to.deep.equal([7, 8]);
    });

    it('announces a user online at their first connection, and offline once the last has been gone for the grace period', async () => {
      const heard = presenceLog(hub);
      const [a, b] = [new RecordingSink(), new RecordingSink()];
      await hub.attach(7, a);
      await hub.attach(7, b);
      await hub.detach(7, a);
      expect(heard).to.deep.equal(['7 online']);
      await hub.detach(7, b);
      expect(heard).to.deep.equal(['7 online']);
      await eventually(async () => heard.length === 2);
      expect(heard).to.deep.equal(['7 online', '7 offline']);
      await hub.attach(7, a);
      expect(heard).to.deep.equal(['7 online', '7 offline', '7 online']);
    });

    it('announces nothing when a user comes back inside the grace period', async () => {
      const heard = presenceLog(hub);
      const [a, b] = [new RecordingSink(), new RecordingSink()];
      await hub.attach(7, a);
      await hub.detach(7, a);
      await hub.attach(7, b);
      await settle(hub, heard);
      expect(heard.filter((line) => line.startsWith('7 '))).to.deep.equal(['7 online']);
    });

    it('announces nothing on a takeover, and offline at once after a logout kick of every connection', async () => {
      const heard = presenceLog(hub);
      const [old, newer] = [new RecordingSink(), new RecordingSink()];
      await hub.attach(7, old);
      await hub.attach(7, newer);
      await hub.kick(7, 'SESSION_REPLACED', 'elsewhere', newer);
      await settle(hub, heard);
      expect(heard.filter((line) => line.startsWith('7 '))).to.deep.equal(['7 online']);
      await hub.kick(7, 'LOGGED_OUT', 'bye');
      expect(heard.filter((line) => line.startsWith('7 '))).to.deep.equal(['7 online', '7 offline']);
      await settle(hub, heard);
      expect(heard.filter((line) => line.startsWith('7 '))).to.deep.equal(['7 online', '7 offline']);
    });

    it('passes notices to every connection of their user, and to nobody else', async () => {
      const [a, b, other] = [new RecordingSink(), new RecordingSink(), new RecordingSink()];
      await hub.attach(7, a);
      await hub.attach(7, b);
      await hub.attach(8, other);
      const notice: Notice = { type: 'presence', username: 'bob', online: true };
      await hub.notify([{ userId: 7, notice }, { userId: 9, notice }]);
      expect([a.notices, b.notices, other.notices]).to.deep.equal([[notice], [notice], []]);
    });
  });
}
