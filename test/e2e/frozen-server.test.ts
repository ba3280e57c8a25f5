import { expect } from 'chai';
import { run } from '../support/processes.js';
import { World } from '../support/world.js';

describe('chatctl against a frozen server (SIGSTOP), end to end with real processes', function () {
  this.timeout(60_000);
  let world: World;

  beforeEach(async () => {
    world = await World.start();
    await world.users('alice');
  });
  afterEach(async () => {
    world.server.running.child.kill('SIGCONT');
    await world.stop();
  });

  it('gives up on a one-shot command after its request timeout, with exit 3 and a line that says so', async () => {
    world.server.running.child.kill('SIGSTOP');
    const started = Date.now();
    const whoami = run(['whoami', '--request-timeout', '0.5'], world.as('alice'));
    expect(await whoami.exited(10_000)).to.equal(3);
    expect(whoami.stderr.seen).to.deep.equal(['chatctl: the server did not answer "whoami" within 0.5 s; gave up']);
    expect(Date.now() - started).to.be.below(5000);
  });

  it('notices while listening that the server stopped answering, and exits 3', async () => {
    const listener = run(['listen', '--request-timeout', '0.5'], world.as('alice'));
    await listener.stderr.waitFor(/listening as alice/);
    world.server.running.child.kill('SIGSTOP');
    expect(await listener.exited(10_000)).to.equal(3);
    expect(listener.stderr.seen.at(-1)).to.equal('chatctl: the connection to the server was lost: the server did not answer "ping" within 0.5 s; gave up');
  });

  it('notices in the shell that the server stopped answering, and exits 3', async () => {
    const shell = run(['shell', '--request-timeout', '0.5'], world.as('alice'));
    await shell.stdout.waitFor(/^connected to /);
    world.server.running.child.kill('SIGSTOP');
    expect(await shell.exited(10_000)).to.equal(3);
    expect(shell.stderr.seen.at(-1)).to.equal('chatctl: the connection to the server was lost: the server did not answer "ping" within 0.5 s; gave up');
  });
});
