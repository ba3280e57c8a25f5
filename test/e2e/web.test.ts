import { expect } from 'chai';
import { join } from 'node:path';
import { chatctl, run, ServerProcess, temporaryDirectory } from '../support/processes.js';
import { expectOk, registerCheaply } from '../support/world.js';
import { WsPeer, type Envelope } from '../interfaces/web/web-fixture.js';

describe('the WebSocket gateway, end to end with a real server and real chatctl processes', function () {
  this.timeout(90_000);
  let tmp: ReturnType<typeof temporaryDirectory>;
  let server: ServerProcess;
  let webUrl: string;
  const as = (profile: string): NodeJS.ProcessEnv => ({ CHATCTL_HOME: join(tmp.path, 'home'), CHATCTL_SERVER: server.address, CHATCTL_PROFILE: profile });

  beforeEach(async () => {
    tmp = temporaryDirectory();
    const db = join(tmp.path, 'chat.sqlite');
    await registerCheaply(db, ['alice', 'bob']);
    server = await ServerProcess.start(db, ['--web-port', '0']);
    const line = JSON.parse(await server.running.stderr.waitFor(/"msg":"web listening"/)) as { host: string; port: number };
    expect(line.host).to.equal('127.0.0.1');
    webUrl = `ws://127.0.0.1:${line.port}/ws`;
    for (const name of ['alice', 'bob']) await expectOk(chatctl(['login', name, `pw-${name}-123`], as(name)));
    await expectOk(chatctl(['add', 'bob'], as('alice')));
  });
  afterEach(async () => {
    await server.stop();
    tmp.remove();
  });

  it('kicks a chatctl listener by a WebSocket login of the same user, pushes a chatctl user\'s message live over WebSocket, and takes its ack', async () => {
    const listener = run(['listen'], as('bob'));
    await listener.stderr.waitFor(/listening as bob/);
    const browser = await WsPeer.open(webUrl);
    const backlog: Envelope[] = [];
    const token = await browser.login('bob', backlog);
    expect(await listener.exited()).to.equal(4);
    expect(listener.stderr.seen.join('\n')).to.match(/disconnected/);
    const sent = await chatctl(['send', 'bob', 'hello from the terminal'], as('alice'));
    expect([sent.code, sent.stdout]).to.deep.equal([0, 'sent to bob']);
    // Alice's one-shot `login` made her count online for the presence grace; bob may hear her go offline first.
    const pushed = await browser.nextDelivery();
    expect(pushed).to.deep.include({ type: 'event', event: 'message' });
    expect(pushed).to.have.nested.property('data.text', 'hello from the terminal');
    // The friend notice, unless the listener acknowledged it before it was kicked, came in the backlog.
    const ids = [...backlog.filter((e) => e.event === 'message').map((e) => e.id), pushed.id];
    expect(await browser.call('ack', { ids }, token)).to.deep.include({ status: 'ok' });
    // Acknowledged over WebSocket: bob's next login, by chatctl, finds nothing waiting, and kicks the browser.
    const login = await chatctl(['login', 'bob', 'pw-bob-123'], as('bob'));
    expect([login.code, login.stdout]).to.deep.equal([0, 'welcome, bob']);
    const { envelopes } = await browser.untilClosed();
    expect(envelopes.at(-1)).to.have.nested.property('data.reason', 'SESSION_REPLACED');
  });

  it('on SIGTERM tells WebSocket sessions the server is shutting down, as TCP ones, and exits cleanly', async () => {
    const browser = await WsPeer.open(webUrl);
    await browser.login('alice');
    const stopped = server.stop('SIGTERM');
    const { envelopes, code } = await browser.untilClosed();
    expect(envelopes.at(-1)).to.deep.include({ event: 'kicked' }).and.to.have.nested.property('data.reason', 'SERVER_SHUTDOWN');
    expect(code).to.equal(1000);
    expect(await stopped).to.equal(0);
    expect(server.running.stderr.seen.some((l) => l.includes('"msg":"web stopped"'))).to.equal(true);
  });
});
