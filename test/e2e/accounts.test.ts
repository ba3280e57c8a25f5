import { expect } from 'chai';
import { statSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import knex from 'knex';
import { chatctl, run, ServerProcess, temporaryDirectory } from '../support/processes.js';

describe('accounts, end to end with real processes', function () {
  this.timeout(60_000);
  let tmp: ReturnType<typeof temporaryDirectory>;
  let server: ServerProcess;
  let env: NodeJS.ProcessEnv;
  const as = (profile: string) => ({ ...env, CHATCTL_PROFILE: profile });

  before(async () => {
    tmp = temporaryDirectory();
    server = await ServerProcess.start(join(tmp.path, 'chat.sqlite'));
    env = { CHATCTL_HOME: join(tmp.path, 'home'), CHATCTL_SERVER: server.address, CHATCTL_PROFILE: 'default' };
    expect((await chatctl(['reg', 'alice', '--password-stdin'], env, 'correct horse\n')).code).to.equal(0);
  });

  after(async () => {
    await server.stop();
    tmp.remove();
  });

  it('registers, and refuses a taken name, an invalid one and a weak password with exit 1', async () => {
    const ok = await chatctl(['reg', 'Bob', '--password-stdin'], env, 'battery staple\n');
    expect(ok.code, ok.stderr).to.equal(0);
    expect(ok.stdout).to.contain('registered bob');
    const taken = await chatctl(['reg', 'BOB', '--password-stdin'], env, 'battery staple\n');
    expect([taken.code, taken.stderr]).to.deep.equal([1, 'chatctl: the username bob is taken']);
    const invalid = await chatctl(['reg', 'b', '--password-stdin'], env, 'battery staple\n');
    expect(invalid.code).to.equal(1);
    expect(invalid.stderr).to.contain('3 to 32 characters');
    const weak = await chatctl(['reg', 'carol', '--password-stdin'], env, 'short\n');
    expect(weak.code).to.equal(1);
    expect(weak.stderr).to.contain('at least 8 characters');
    // The interactive prompt asks twice; piped, a second line is refused rather than made part of the password.
    const twice = await chatctl(['reg', 'carol', '--password-stdin'], env, 'battery staple\nbattery staple\n');
    expect([twice.code, twice.stderr]).to.deep.equal([2, 'chatctl: expected one password on standard input, on one line']);
  });

  it('logs in with a welcome, keeps the token in a 0600 profile, and whoami asks the server', async () => {
    const login = await chatctl(['login', 'alice', '--password-stdin'], as('w'), 'correct horse\n');
    expect(login.code, login.stderr).to.equal(0);
    expect(login.stdout).to.equal('welcome, alice');
    const file = join(env.CHATCTL_HOME!, 'w.json');
    expect(statSync(file).mode & 0o777).to.equal(0o600);
    expect(JSON.parse(readFileSync(file, 'utf8'))).to.include({ server: server.address, username: 'alice' });
    const whoami = await chatctl(['whoami'], as('w'));
    expect([whoami.code, whoami.stdout]).to.deep.equal([0, `alice on ${server.address}`]);
    const json = await chatctl(['whoami', '--json'], as('w'));
    expect(JSON.parse(json.stdout)).to.deep.equal({ user: { username: 'alice', admin: false, banned: false, online: null }, server: server.address });
  });

  it('tells a wrong password from an unknown user, both exit 1', async () => {
    const wrong = await chatctl(['login', 'alice', 'not the password'], as('x'));
    expect([wrong.code, wrong.stderr]).to.deep.equal([1, 'chatctl: wrong password']);
    const unknown = await chatctl(['login', 'nobody', 'whatever password'], as('x'));
    expect([unknown.code, unknown.stderr]).to.deep.equal([1, 'chatctl: there is no user called nobody']);
    const json = await chatctl(['login', 'nobody', 'whatever password', '--json'], as('x'));
    expect(JSON.parse(json.stdout)).to.deep.equal({ error: { code: 'UNKNOWN_USER', message: 'there is no user called nobody' } });
  });

  it('kicks a listening session when the same user logs in elsewhere; it says so and exits 4', async () => {
    expect((await chatctl(['login', 'alice', '--password-stdin'], as('first'), 'correct horse\n')).code).to.equal(0);
    const listener = run(['listen'], as('first'));
    await listener.stderr.waitFor(/listening as alice/);
    expect((await chatctl(['login', 'alice', '--password-stdin'], as('second'), 'correct horse\n')).code).to.equal(0);
    expect(await listener.exited()).to.equal(4);
    expect(listener.stderr.seen.join('\n')).to.contain('you logged in somewhere else');
    const stale = await chatctl(['whoami'], as('first'));
    expect(stale.code).to.equal(4);
    expect(stale.stderr).to.contain('log in again');
    expect((await chatctl(['whoami'], as('second'))).code).to.equal(0);
  });

  it('logs out server-side: a listener is disconnected and the profile forgets the token', async () => {
    expect((await chatctl(['login', 'alice', '--password-stdin'], as('out'), 'correct horse\n')).code).to.equal(0);
    const listener = run(['listen'], as('out'));
    await listener.stderr.waitFor(/listening as alice/);
    const logout = await chatctl(['logout'], as('out'));
    expect([logout.code, logout.stdout]).to.deep.equal([0, 'logged out alice']);
    expect(await listener.exited()).to.equal(4);
    const whoami = await chatctl(['whoami'], as('out'));
    expect([whoami.code, whoami.stderr]).to.deep.equal([4, 'chatctl: not logged in: run `chatctl login <username>` first']);
  });

  it('refuses a banned user at login, and their live token too', async () => {
    expect((await chatctl(['reg', 'mallory', '--password-stdin'], env, 'evil laugh\n')).code).to.equal(0);
    expect((await chatctl(['login', 'mallory', 'evil laugh'], as('m'))).code).to.equal(0);
    const db = knex({ client: 'better-sqlite3', connection: { filename: server.db }, useNullAsDefault: true });
    await db('users').where({ username: 'mallory' }).update({ banned_at: Date.now() });
    await db.destroy();
    const login = await chatctl(['login', 'mallory', 'evil laugh'], as('m2'));
    expect([login.code, login.stderr]).to.deep.equal([1, 'chatctl: mallory is banned']);
    const whoami = await chatctl(['whoami'], as('m'));
    expect(whoami.code).to.equal(1);
    expect(whoami.stderr).to.contain('banned');
  });

  it('promotes a user straight on the database while the server runs', async () => {
    const promote = await chatctl(['promote', 'alice', '--db', server.db], env);
    expect(promote.code, promote.stderr).to.equal(0);
    expect(promote.stdout).to.contain('alice is now an admin');
    expect(JSON.parse(promote.stderr)).to.include({ audit: true, admin: 'operator', action: 'promote', target: 'alice' });
    const login = await chatctl(['login', 'alice', 'correct horse'], as('admin'));
    expect(login.stdout).to.equal('welcome, alice (admin)');
    expect((await chatctl(['promote', 'alice', '--revoke', '--db', server.db], env)).stdout).to.contain('no longer an admin');
    expect((await chatctl(['promote', 'nobody', '--db', server.db], env)).code).to.equal(1);
  });

  it('exits 3 when the server cannot be reached and 2 on bad usage', async () => {
    const unreachable = await chatctl(['login', 'alice', 'correct horse'], { ...env, CHATCTL_SERVER: '127.0.0.1:1' });
    expect(unreachable.code).to.equal(3);
    expect(unreachable.stderr).to.contain('cannot reach the server at 127.0.0.1:1');
    const unknown = await chatctl(['frobnicate'], env);
    expect(unknown.code).to.equal(2);
    expect(unknown.stderr).to.equal('chatctl: unknown command "frobnicate" (chatctl --help lists them)');
    const missing = await chatctl(['login'], env);
    expect(missing.code).to.equal(2);
    expect(missing.stderr).to.equal('chatctl: missing <username>; usage: chatctl login <username> [password]');
    expect((await chatctl(['--version'], env)).stdout).to.match(/^\d+\.\d+\.\d+$/);
    const badServer = await chatctl(['whoami', '--server', 'nonsense'], as('w'));
    expect([badServer.code, badServer.stderr]).to.deep.equal([2, 'chatctl: --server wants host:port or tls://host:port, such as 127.0.0.1:7878 (got "nonsense")']);
    const noTerminal = await chatctl(['reg', 'dave'], env);
    expect(noTerminal.code).to.equal(2);
    expect(noTerminal.stderr).to.contain('--password-stdin');
  });
});
