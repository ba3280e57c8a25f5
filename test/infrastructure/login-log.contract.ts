import { expect } from 'chai';
import type { Storage } from '../../infrastructure/storage.js';
import { at, rejection, storageFixture } from './storage-fixture.js';

export function describeLoginLog(name: string, open: () => Promise<Storage>): void {
  describe(`LoginLog: ${name}`, () => {
    const fixture = storageFixture(open);
    const logins = () => fixture.storage.repositories.logins;

    it('lists a user\'s logins newest first, up to the limit, and nobody else\'s', async () => {
      const [alice, bob] = [await fixture.addUser('alice'), await fixture.addUser('bob')];
      await logins().record({ userId: alice.id, ip: '10.0.0.1', at: at(1) });
      await logins().record({ userId: bob.id, ip: '10.0.0.2', at: at(2) });
      await logins().record({ userId: alice.id, ip: '::1', at: at(3) });
      await logins().record({ userId: alice.id, ip: '2001:db8::7', at: at(2) });
      expect(await logins().recentFor(alice.id, 10)).to.deep.equal([
        { userId: alice.id, ip: '::1', at: at(3) },
        { userId: alice.id, ip: '2001:db8::7', at: at(2) },
        { userId: alice.id, ip: '10.0.0.1', at: at(1) },
      ]);
      expect((await logins().recentFor(alice.id, 2)).map((entry) => entry.ip)).to.deep.equal(['::1', '2001:db8::7']);
      expect(await logins().recentFor(bob.id, 10)).to.deep.equal([{ userId: bob.id, ip: '10.0.0.2', at: at(2) }]);
    });

    it('puts the later of two logins in the same millisecond first', async () => {
      const alice = await fixture.addUser('alice');
      await logins().record({ userId: alice.id, ip: 'first', at: at(1) });
      await logins().record({ userId: alice.id, ip: 'second', at: at(1) });
      expect((await logins().recentFor(alice.id, 10)).map((entry) => entry.ip)).to.deep.equal(['second', 'first']);
    });

    it('keeps what was recorded, not the caller\'s object', async () => {
      const alice = await fixture.addUser('alice');
      const entry = { userId: alice.id, ip: '10.0.0.1', at: at(1) };
      await logins().record(entry);
      entry.at.setTime(0);
      expect((await logins().recentFor(alice.id, 1))[0]!.at).to.deep.equal(at(1));
    });

    it('refuses a login by a user who does not exist', async () => {
      const error = await rejection(logins().record({ userId: 4242, ip: '10.0.0.1', at: at(1) }));
      expect(error.message).to.match(/foreign key/i);
      expect(await logins().recentFor(4242, 10)).to.deep.equal([]);
    });
  });
}
