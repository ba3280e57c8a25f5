import { expect } from 'chai';
import { join } from 'node:path';
import { chatctl, ServerProcess, temporaryDirectory } from '../support/processes.js';

describe('the server process limits, end to end with real processes', function () {
  this.timeout(60_000);
  let tmp: ReturnType<typeof temporaryDirectory>;
  beforeEach(() => (tmp = temporaryDirectory()));
  afterEach(() => tmp.remove());

  for (const [flag, value, wanted] of [
    ['--max-connections-per-address', '0', 'a positive whole number (got 0)'],
    ['--max-requests-per-second', '-1', 'a positive number (got -1)'],
    ['--max-request-burst', '2.5', 'a positive whole number (got 2.5)'],
    ['--failed-login-interval', 'soon', 'a positive number (got soon)'],
    ['--max-registrations-per-address', '0', 'a positive whole number (got 0)'],
  ] as const) {
    it(`refuses ${flag} ${value} as bad usage`, async () => {
      const serve = await chatctl(['serve', '--port', '0', '--db', 'memory', flag, value], {});
      expect(serve.code).to.equal(2);
      expect(serve.stderr).to.contain(`chatctl: ${flag} must be ${wanted}`);
    });
  }

  it('slows password guessing with chatctl login per its flags, and logs every failure for fail2ban', async () => {
    const server = await ServerProcess.start(join(tmp.path, 'chat.sqlite'), ['--max-failed-logins-per-account', '1', '--failed-login-interval', '60']);
    try {
      const env = { CHATCTL_HOME: join(tmp.path, 'home'), CHATCTL_SERVER: server.address };
      expect((await chatctl(['reg', 'alice', '--password-stdin'], env, 'correct horse\n')).code).to.equal(0);
      expect((await chatctl(['login', 'alice', 'guess number 1'], env)).stderr).to.equal('chatctl: wrong password');
      const throttled = await chatctl(['login', 'alice', '--password-stdin'], env, 'correct horse\n');
      expect(throttled.code).to.equal(1);
      expect(throttled.stderr).to.match(/^chatctl: too many failed logins for alice; try again in [1-6]?\d s$/);
      const failures = server.running.stderr.seen.filter((line) => line.includes('"event":"login_failed"')).map((line) => JSON.parse(line) as Record<string, unknown>);
      expect(failures.map(({ user, peer, reason }) => ({ user, peer, reason }))).to.deep.equal([{ user: 'alice', peer: '127.0.0.1', reason: 'WRONG_PASSWORD' }]);
      expect(server.running.stderr.seen.join('\n')).to.not.contain('guess number').and.not.contain('correct horse');
    } finally {
      await server.stop();
    }
  });

  it('refuses registrations past the per-address budget before hashing, and logs the trip', async () => {
    const server = await ServerProcess.start(join(tmp.path, 'chat.sqlite'), ['--max-registrations-per-address', '2', '--registration-interval', '60']);
    try {
      const env = { CHATCTL_HOME: join(tmp.path, 'home'), CHATCTL_SERVER: server.address };
      for (const name of ['alice', 'bob']) expect((await chatctl(['reg', name, '--password-stdin'], env, 'correct horse\n')).code).to.equal(0);
      const refused = await chatctl(['reg', 'carol', '--password-stdin'], env, 'correct horse\n');
      expect(refused.code).to.equal(1);
      expect(refused.stderr).to.match(/^chatctl: too many registrations from your address; try again in [1-6]?\d s$/);
      // A name already taken is refused as before, without spending the budget.
      expect((await chatctl(['reg', 'alice', '--password-stdin'], env, 'correct horse\n')).stderr).to.contain('taken');
      const trips = server.running.stderr.seen.filter((line) => line.includes('"event":"throttled"')).map((line) => JSON.parse(line) as Record<string, unknown>);
      expect(trips.map(({ limit, peer }) => ({ limit, peer }))).to.deep.equal([{ limit: 'registrations-per-address', peer: '127.0.0.1' }]);
    } finally {
      await server.stop();
    }
  });
});
