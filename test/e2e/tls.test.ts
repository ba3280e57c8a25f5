import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ChatClient } from '../../interfaces/client/chat-client.js';
import { makeCertificates, type Certificates } from '../support/certificates.js';
import { chatctl, run, ServerProcess, temporaryDirectory } from '../support/processes.js';
import { eventually, expectOk, registerCheaply } from '../support/world.js';

describe('TLS, end to end with real processes', function () {
  this.timeout(60_000);
  let tmp: ReturnType<typeof temporaryDirectory>;
  let certificates: Certificates;
  let server: ServerProcess | undefined;

  before(() => {
    tmp = temporaryDirectory();
    certificates = makeCertificates(tmp.path);
  });
  after(() => tmp.remove());
  afterEach(async () => {
    await server?.stop();
    server = undefined;
  });

  const serveTls = async (db: string, extra: string[] = []) =>
    (server = await ServerProcess.start(db, ['--tls-cert', certificates.cert, '--tls-key', certificates.key, ...extra]));
  const as = (profile: string, address: string): NodeJS.ProcessEnv => ({
    CHATCTL_HOME: join(tmp.path, 'home'),
    CHATCTL_SERVER: address,
    CHATCTL_PROFILE: profile,
    CHATCTL_CA: certificates.ca,
  });

  it('registers, logs in, sends and listens over TLS with chatctl, and logs in with the SDK', async () => {
    const db = join(tmp.path, 'tls.sqlite');
    await registerCheaply(db, ['bob']);
    const { port } = await serveTls(db);
    const address = `tls://127.0.0.1:${port}`;
    const bobListens = (async () => {
      await expectOk(chatctl(['login', 'bob', 'pw-bob-123'], as('bob', address)));
      const listener = run(['listen'], as('bob', address));
      await listener.stderr.waitFor(/listening as bob/);
      return listener;
    })();
    await expectOk(chatctl(['reg', 'alice', '--password-stdin'], as('alice', address), 'pw-alice-123\n'));
    await expectOk(chatctl(['login', 'alice', 'pw-alice-123'], as('alice', address)));
    await expectOk(chatctl(['add', 'bob'], as('alice', address)));
    const listener = await bobListens;
    await expectOk(chatctl(['send', 'bob', 'over', 'TLS'], as('alice', address)));
    await listener.stdout.waitFor(/alice: over TLS$/);
    listener.child.kill('SIGINT');
    expect(await listener.exited()).to.equal(0);

    const client = await ChatClient.connect({ port, tls: { ca: readFileSync(certificates.ca) } });
    expect(await client.request('login', { username: 'alice', password: 'pw-alice-123' })).to.have.property('token');
    await client.close();
  });

  it('refuses a client without TLS, and one that does not trust the server\'s CA, each with exit 3 and a clear line', async () => {
    const { port } = await serveTls(join(tmp.path, 'refusals.sqlite'));
    const plain = await chatctl(['reg', 'carol', '--password-stdin'], as('carol', `127.0.0.1:${port}`), 'pw-carol-123\n');
    expect([plain.code, plain.stderr]).to.deep.equal([3, 'chatctl: the server closed the connection before answering (if it serves TLS, connect with TLS)']);
    const wrongCa = await chatctl(['reg', 'carol', '--password-stdin', '--ca', certificates.otherCa], as('carol', `tls://127.0.0.1:${port}`), 'pw-carol-123\n');
    expect(wrongCa.code).to.equal(3);
    expect(wrongCa.stderr).to.match(/^chatctl: TLS with 127\.0\.0\.1:\d+ failed: .*certificate.* \(a server without TLS, or a certificate not signed by the CA given\?\)$/);
    const missingCa = await chatctl(['reg', 'carol', '--password-stdin', '--ca', join(tmp.path, 'nope.pem')], as('carol', `tls://127.0.0.1:${port}`), 'pw-carol-123\n');
    expect([missingCa.code, missingCa.stderr]).to.deep.equal([2, `chatctl: cannot read the CA file given by --ca: ENOENT: no such file or directory, open '${join(tmp.path, 'nope.pem')}'`]);
  });

  it('turns away a connection past the per-address cap before its TLS handshake, and serves one again once another closes', async () => {
    const { port } = await serveTls(join(tmp.path, 'cap.sqlite'), ['--max-connections-per-address', '1']);
    const ca = readFileSync(certificates.ca);
    const first = await ChatClient.connect({ port, tls: { ca } });
    const refused = await ChatClient.connect({ port, tls: { ca } }).then(
      async (client) => (await client.close(), null),
      (error: Error) => error,
    );
    expect(refused).to.include({ name: 'ChatError', status: 'connection' });
    const trip = await server!.running.stderr.waitFor(/"event":"throttled"/);
    expect(JSON.parse(trip)).to.deep.include({ limit: 'connections-per-address', peer: '127.0.0.1' });
    expect(await first.request('ping')).to.deep.equal({});
    await first.close();
    // The server releases the address's slot once it sees the first connection close.
    await eventually(async () => {
      const again = await ChatClient.connect({ port, tls: { ca } }).catch(() => null);
      const answered = await again?.request('ping').then(() => true, () => false);
      await again?.close();
      return answered === true;
    });
  });

  it('warns at start when it listens beyond loopback without TLS, and a TLS client to it fails cleanly', async () => {
    server = await ServerProcess.start(join(tmp.path, 'open.sqlite'), ['--host', '0.0.0.0']);
    const warning = JSON.parse(await server.running.stderr.waitFor(/cleartext_listener/)) as { level: number; host: string; msg: string };
    expect(warning).to.include({ level: 40, host: '0.0.0.0' });
    expect(warning.msg).to.contain('without TLS');
    const tlsToPlain = await chatctl(['reg', 'dave', '--password-stdin'], as('dave', `tls://127.0.0.1:${server.port}`), 'pw-dave-123\n');
    expect(tlsToPlain.code).to.equal(3);
    expect(tlsToPlain.stderr).to.match(/^chatctl: TLS with 127\.0\.0\.1:\d+ failed: /);
  });

  it('refuses --tls-cert without --tls-key, and a key that is not the certificate\'s, as bad usage', async () => {
    const alone = await chatctl(['serve', '--port', '0', '--db', 'memory', '--tls-cert', certificates.cert], {});
    expect([alone.code, alone.stderr.split('\n').at(-1)]).to.deep.equal([2, 'chatctl: --tls-cert and --tls-key go together: give both to serve TLS, or neither']);
    const mismatched = await chatctl(['serve', '--port', '0', '--db', 'memory', '--tls-cert', certificates.cert, '--tls-key', join(tmp.path, 'ca.key')], {});
    expect(mismatched.code).to.equal(2);
    expect(mismatched.stderr).to.match(/^chatctl: --tls-cert and --tls-key are not a usable certificate and key: /);
  });
});
