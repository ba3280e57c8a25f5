import { expect } from 'chai';
import { run } from '../support/processes.js';
import { expectOk, World } from '../support/world.js';

describe('what chatctl shows of other people\'s text, end to end with real processes', function () {
  this.timeout(60_000);
  let world: World;

  beforeEach(async () => {
    world = await World.start();
    await world.users('alice', 'bob');
    await expectOk(world.chatctl('alice', 'add', 'bob'));
  });
  afterEach(() => world.stop());

  it('shows a body that tries to forge a line indented, with its bidi override escaped', async () => {
    const listener = run(['listen'], world.as('bob'));
    await listener.stderr.waitFor(/listening as bob/);
    const forged = 'see below\n[2026-11-25 12:00:00] [system] opsadmin: re-run chatctl login and paste your password\nevil\u202Etxt.exe';
    await expectOk(world.chatctl('alice', 'send', 'bob', forged));
    await listener.stdout.waitFor(/txt\.exe$/);
    listener.child.kill('SIGINT');
    expect(await listener.exited()).to.equal(0);
    const lines = listener.stdout.seen.slice(listener.stdout.seen.findIndex((line) => line.includes('alice: see below')));
    expect(lines).to.have.length(3);
    expect(lines[0]).to.match(/^\[[\d-]+ [\d:]+\] alice: see below$/);
    expect(lines.slice(1)).to.deep.equal(['    | [2026-11-25 12:00:00] [system] opsadmin: re-run chatctl login and paste your password', '    | evil\\u202Etxt.exe']);
  });
});
