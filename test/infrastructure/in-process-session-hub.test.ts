import { expect } from 'chai';
import type { OfflineMessage, Username } from '../../domain/index.js';
import { InProcessSessionHub } from '../../infrastructure/in-process-session-hub.js';
import { RecordingSink } from '../support/fakes.js';

const delivery: OfflineMessage = {
  id: 1,
  recipientId: 7,
  message: { kind: 'private', from: { id: 8, username: 'bob' as Username }, fromAdmin: false, text: 'hi', sentAt: new Date(0) },
};

describe('InProcessSessionHub', () => {
  it('counts a user online while at least one connection is attached', () => {
    const hub = new InProcessSessionHub();
    const [a, b] = [new RecordingSink(), new RecordingSink()];
    hub.attach(7, a);
    hub.attach(7, b);
    hub.detach(7, a);
    expect(hub.isOnline(7)).to.equal(true);
    hub.detach(7, b);
    expect(hub.isOnline(7)).to.equal(false);
  });

  it('pushes to every connection of the user and to nobody else', () => {
    const hub = new InProcessSessionHub();
    const [a, b, other] = [new RecordingSink(), new RecordingSink(), new RecordingSink()];
    hub.attach(7, a);
    hub.attach(7, b);
    hub.attach(8, other);
    expect(hub.deliver(7, delivery)).to.equal(2);
    expect(hub.deliver(9, delivery)).to.equal(0);
    expect([a.pushed, b.pushed, other.pushed].map((p) => p.length)).to.deep.equal([1, 1, 0]);
  });

  it('kicks every connection but the one kept, with the reason, and forgets them', () => {
    const hub = new InProcessSessionHub();
    const [a, b, keep] = [new RecordingSink(), new RecordingSink(), new RecordingSink()];
    for (const sink of [a, b, keep]) hub.attach(7, sink);
    expect(hub.kick(7, 'SESSION_REPLACED', 'elsewhere', keep)).to.equal(2);
    expect(a.kicks).to.deep.equal([{ reason: 'SESSION_REPLACED', message: 'elsewhere' }]);
    expect(keep.kicks).to.deep.equal([]);
    expect(hub.deliver(7, delivery)).to.equal(1);
  });
});
