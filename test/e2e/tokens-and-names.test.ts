import { expect } from 'chai';
import { join } from 'node:path';
import { ChatClient } from '../../interfaces/client/chat-client.js';
import type { ChatError } from '../../interfaces/client/chat-error.js';
import { chatctl, ServerProcess, temporaryDirectory } from '../support/processes.js';
import { eventually, registerCheaply } from '../support/world.js';

describe('tokens and names, end to end with real processes', function () {
  this.timeout(60_000);
  const lifetimeSeconds = 1;
  let tmp: ReturnType<typeof temporaryDirectory>;
  let server: ServerProcess;
  let env: NodeJS.ProcessEnv;
  const clients: ChatClient[] = [];
  const client = async () => {
    const opened = await ChatClient.connect({ port: server.port });
    clients.push(opened);
    return opened;
  };
  const refusal = (answer: Promise<unknown>) => answer.then(() => expect.fail('expected a refusal'), (error: ChatError) => error);

  before(async () => {
    tmp = temporaryDirectory();
    const db = join(tmp.path, 'chat.sqlite');
    await registerCheaply(db, ['alice', 'bob']);
    server = await ServerProcess.start(db, ['--token-lifetime', String(lifetimeSeconds)]);
    env = { CHATCTL_HOME: join(tmp.path, 'home'), CHATCTL_SERVER: server.address, CHATCTL_PROFILE: 'alice' };
  });

  after(async () => {
    for (const opened of clients.splice(0)) await opened.close();
    await server.stop();
    tmp.remove();
  });

  it('refuses a token past its lifetime with TOKEN_EXPIRED, on an attached connection too; chatctl says to log in again', async () => {
    expect((await chatctl(['login', 'alice', 'pw-alice-123'], env)).stdout).to.equal('welcome, alice');
    const bob = await client();
    await bob.login('bob', 'pw-bob-123');
    expect(await bob.request('whoami')).to.have.nested.property('user.username', 'bob');
    // The attached connection remembers bob only until his token expires.
    await eventually(async () => (await bob.request('whoami').then(() => 'ok', (error: ChatError) => error.code)) === 'TOKEN_EXPIRED', 10_000);
    const expired = await chatctl(['whoami'], env);
    expect([expired.code, expired.stderr]).to.deep.equal([4, `chatctl: your login has expired (tokens last ${lifetimeSeconds} s); log in again`]);
    await bob.login('bob', 'pw-bob-123');
    expect(await bob.request('whoami')).to.have.nested.property('user.username', 'bob');
  });

  it('refuses reserved usernames, lone surrogates in passwords and invisible characters in group names over the wire', async () => {
    const peer = await client();
    for (const username of ['admin', 'System', 'ROOT', 'server', 'operator']) {
      expect(await refusal(peer.request('register', { username, password: 'correct horse' })), username).to.include({ status: 'fail', code: 'USERNAME_RESERVED' });
    }
    expect(await refusal(peer.request('register', { username: 'carol', password: 'correct horse\ud800' }))).to.include({ code: 'INVALID_PASSWORD' });
    expect(await refusal(peer.request('login', { username: 'alice', password: 'pw-alice-123\udbff' }))).to.include({ code: 'INVALID_PASSWORD' });
    await peer.login('bob', 'pw-bob-123');
    for (const name of ['evil\u202eeulav', 'te\u200bam', '\u3164']) {
      expect(await refusal(peer.request('newgroup', { name })), JSON.stringify(name)).to.include({ status: 'fail', code: 'INVALID_GROUP_NAME' });
    }
    const reg = await chatctl(['reg', 'Admin', '--password-stdin'], env, 'correct horse\n');
    expect([reg.code, reg.stderr]).to.deep.equal([1, 'chatctl: the username admin is reserved: choose another']);
  });

  it('will not serve with a token lifetime that is not a positive number of seconds', async () => {
    for (const bad of ['0', 'soon']) {
      const serve = await chatctl(['serve', '--port', '0', '--db', 'memory', '--token-lifetime', bad], {});
      expect(serve.code, bad).to.equal(2);
      expect(serve.stderr).to.contain('--token-lifetime must be a number of seconds above 0');
    }
  });
});
