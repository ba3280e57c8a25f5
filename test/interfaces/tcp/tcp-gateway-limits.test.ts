import { expect } from 'chai';
import { pino } from 'pino';
import { GROUP_NAME_MAX_LENGTH, MESSAGE_MAX_LENGTH, USERNAME_MAX_LENGTH } from '../../../domain/index.js';
import { TcpGateway } from '../../../interfaces/tcp/tcp-gateway.js';
import { MIN_MAX_PAYLOAD_BYTES } from '../../../interfaces/wire/index.js';
import { GatewayFixture, type Frame } from './gateway-fixture.js';

const LONGEST_TEXT = '😀'.repeat(MESSAGE_MAX_LENGTH);

describe('TcpGateway limits, on a real loopback socket', function () {
  this.timeout(60_000);
  let fixture: GatewayFixture;
  afterEach(() => fixture.stop());

  describe('the frame limit', () => {
    it(`is at least ${MIN_MAX_PAYLOAD_BYTES} bytes`, async () => {
      fixture = await GatewayFixture.start({ maxPayloadBytes: MIN_MAX_PAYLOAD_BYTES });
      const make = (maxPayloadBytes: number) => () => new TcpGateway(fixture.app, { host: '127.0.0.1', port: 0, logger: pino({ level: 'silent' }), limits: { maxPayloadBytes } });
      expect(make(MIN_MAX_PAYLOAD_BYTES - 1)).to.throw(RangeError, `at least ${MIN_MAX_PAYLOAD_BYTES} (got ${MIN_MAX_PAYLOAD_BYTES - 1})`);
      expect(make(4096)).to.throw(RangeError);
      expect(make(Number.NaN)).to.throw(RangeError);
      expect(make(MIN_MAX_PAYLOAD_BYTES)).to.not.throw();
    });

    it('at its smallest, carries the largest message there is, live and again at a later login', async () => {
      fixture = await GatewayFixture.start({ maxPayloadBytes: MIN_MAX_PAYLOAD_BYTES });
      const longName = 'm'.repeat(USERNAME_MAX_LENGTH);
      const sender = await fixture.user(longName);
      await fixture.user('alice');
      const groupName = '😀'.repeat(GROUP_NAME_MAX_LENGTH);
      const group = await fixture.app.groups.create(sender, groupName);
      await fixture.app.groups.invite(sender, { name: groupName }, 'alice');
      const { peer: listener } = await fixture.loggedIn('alice');
      const { peer: sending, token } = await fixture.loggedIn(longName);
      const sent = await fixture.call(sending, 'sendgroup', { group: group.id, text: LONGEST_TEXT }, token);
      expect(sent).to.deep.include({ status: 'ok' });
      const live = await listener.next();
      expect(live).to.deep.include({ event: 'message' }).and.to.have.nested.property('data.text', LONGEST_TEXT);
      expect(live).to.have.nested.property('data.group.name', groupName);
      const replayed: Frame[] = [];
      const later = await fixture.peer();
      const login = await fixture.call(later, 'login', { username: 'alice', password: 'pw-alice-123' }, undefined, replayed);
      expect(login).to.deep.include({ status: 'ok' });
      expect(replayed.map((frame) => frame.id)).to.include(live.id);
      expect(replayed.at(-1)).to.deep.equal(live);
    });
  });
});
