import { expect } from 'chai';
import type { User } from '../../../domain/index.js';
import { GatewayFixture, type Frame } from '../tcp/gateway-fixture.js';

/** The text of a pushed `message` event. */
const text = (frame: Frame) => {
  expect(frame).to.deep.include({ type: 'event', event: 'message' });
  return (frame.data as { text: string }).text;
};

describe('ChatSession, through a real TcpGateway', () => {
  let fixture: GatewayFixture;
  let alice: User;
  let bob: User;

  beforeEach(async () => {
    fixture = await GatewayFixture.start();
    alice = await fixture.user('alice');
    bob = await fixture.user('bob');
    await fixture.app.friends.add(alice, 'bob');
  });
  afterEach(() => fixture.stop());

  describe('a failed login', () => {
    it('leaves an attached connection attached to its session: pushes still arrive', async () => {
      const { peer, token } = await fixture.loggedIn('alice', []);
      const wrong = await fixture.call(peer, 'login', { username: 'alice', password: 'not the password' });
      expect(wrong).to.deep.include({ status: 'fail', code: 'WRONG_PASSWORD' });
      await fixture.app.messaging.sendPrivate(bob, 'alice', 'still there?');
      expect(text(await peer.next())).to.equal('still there?');
      expect(await fixture.call(peer, 'whoami', {}, token)).to.deep.include({ status: 'ok' });
    });

    it('still carries out a kick of the earlier session that arrived while it ran', async () => {
      const { peer, token } = await fixture.loggedIn('alice', []);
      const login = fixture.app.accounts.login.bind(fixture.app.accounts);
      fixture.app.accounts.login = async (...args) => {
        await fixture.app.accounts.logout(token);
        return login(...args);
      };
      peer.request(1, 'login', { username: 'alice', password: 'not the password' });
      expect(await peer.next()).to.deep.include({ id: 1, status: 'fail', code: 'WRONG_PASSWORD' });
      expect(await peer.next()).to.deep.include({ event: 'kicked', data: { reason: 'LOGGED_OUT', message: 'you logged out' } });
      await peer.closedByServer();
    });
  });

  describe('a login on an attached connection', () => {
    it('replaces its session without kicking it: the old token is refused, pushes go on', async () => {
      const { peer, token } = await fixture.loggedIn('alice', []);
      expect(await fixture.call(peer, 'login', { username: 'alice', password: 'pw-alice-123' })).to.deep.include({ status: 'ok' });
      expect(await fixture.call(peer, 'whoami', {}, token)).to.deep.include({ status: 'fail', code: 'SESSION_EXPIRED' });
      await fixture.app.messaging.sendPrivate(bob, 'alice', 'hello again');
      expect(text(await peer.next())).to.equal('hello again');
    });

    it('as someone else, moves the connection to their pushes', async () => {
      const { peer } = await fixture.loggedIn('alice', []);
      expect(await fixture.call(peer, 'login', { username: 'bob', password: 'pw-bob-123' })).to.deep.include({ status: 'ok' });
      await fixture.app.messaging.sendPrivate(bob, 'alice', 'for alice');
      await fixture.app.messaging.sendPrivate(alice, 'bob', 'for bob');
      expect(text(await peer.next())).to.equal('for bob');
      expect(await peer.next(300).catch((error: Error) => error.message)).to.equal('no frame in time');
    });
  });
});
