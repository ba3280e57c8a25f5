import { expect } from 'chai';
import { join } from 'node:path';
import { chatctl, run, ServerProcess, temporaryDirectory } from '../support/processes.js';

describe('the server process', function () {
  this.timeout(60_000);
  let tmp: ReturnType<typeof temporaryDirectory>;
  beforeEach(() => (tmp = temporaryDirectory()));
  afterEach(() => tmp.remove());

  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    it(`shuts down cleanly on ${signal}, telling attached listeners why (they exit 3)`, async () => {
      const server = await ServerProcess.start(join(tmp.path, 'chat.sqlite'));
      const env = { CHATCTL_HOME: join(tmp.path, 'home'), CHATCTL_SERVER: server.address };
      await chatctl(['reg', 'alice', '--password-stdin'], env, 'correct horse\n');
      await chatctl(['login', 'alice', '--password-stdin'], env, 'correct horse\n');
      const listener = run(['listen'], env);
      await listener.stderr.waitFor(/listening as alice/);
      expect(await server.stop(signal)).to.equal(0);
      expect(server.running.stderr.seen.some((line) => line.includes('"msg":"stopped"'))).to.equal(true);
      expect(await listener.exited()).to.equal(3);
      expect(listener.stderr.seen.join('\n')).to.contain('the server is shutting down');
    });
  }

  it('writes structured JSON logs to stderr and nothing to stdout', async () => {
    const server = await ServerProcess.start(join(tmp.path, 'chat.sqlite'));
    await server.stop();
    expect(server.running.stdout.seen).to.deep.equal([]);
    for (const line of server.running.stderr.seen) expect(() => JSON.parse(line), line).to.not.throw();
  });

  it('refuses to start on a port in use, with a clear message', async () => {
    const first = await ServerProcess.start(join(tmp.path, 'one.sqlite'));
    try {
      const second = await chatctl(['serve', '--port', String(first.port), '--db', join(tmp.path, 'two.sqlite')], {});
      expect(second.code).to.not.equal(0);
      expect(second.stderr).to.contain('EADDRINUSE');
    } finally {
      await first.stop();
    }
  });

  it('refuses a frame limit too small for the largest message, as bad usage', async () => {
    const serve = await chatctl(['serve', '--port', '0', '--db', 'memory', '--max-frame-bytes', '4096'], {});
    expect(serve.code).to.equal(2);
    expect(serve.stderr).to.contain('chatctl: --max-frame-bytes must be a whole number, at least 65536 (got 4096)');
  });

  it('refuses a queue quota below one and a negative lock timeout, as bad usage', async () => {
    const quota = await chatctl(['serve', '--port', '0', '--db', 'memory', '--max-queued-per-user', '0'], {});
    expect(quota.code).to.equal(2);
    expect(quota.stderr).to.contain('chatctl: --max-queued-per-user must be a whole number, at least 1 (got 0)');
    const lock = await chatctl(['serve', '--port', '0', '--db', 'memory', '--db-lock-timeout', '-1'], {});
    expect(lock.code).to.equal(2);
    expect(lock.stderr).to.contain('chatctl: --db-lock-timeout must be a number of seconds, 0 or more (got -1)');
  });
});
