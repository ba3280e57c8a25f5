import { expect } from 'chai';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sample } from '../support/metrics.js';
import { Outage, testSchema } from '../support/postgres.js';
import { chatctl, run, ServerProcess, temporaryDirectory } from '../support/processes.js';
import { eventually, expectOk } from '../support/world.js';

/** The port a server's metrics listener logged. */
async function metricsPort(server: ServerProcess): Promise<number> {
  return (JSON.parse(await server.running.stderr.waitFor(/"msg":"metrics listening"/)) as { port: number }).port;
}

async function get(port: number, path: string): Promise<{ status: number; body: string }> {
  const response = await fetch(`http://127.0.0.1:${port}${path}`);
  return { status: response.status, body: await response.text() };
}

/** The server's JSON log lines that carry an `event`. */
function events(server: ServerProcess): Record<string, unknown>[] {
  return server.running.stderr.seen.map((line) => JSON.parse(line) as Record<string, unknown>).filter((entry) => 'event' in entry);
}

describe('operating the server, end to end with real processes', function () {
  this.timeout(90_000);
  let tmp: ReturnType<typeof temporaryDirectory>;
  beforeEach(() => (tmp = temporaryDirectory()));
  afterEach(() => tmp.remove());
  const config = (text: string) => {
    const path = join(tmp.path, 'parley.toml');
    writeFileSync(path, text);
    return path;
  };

  it('stops serve with one line and exit 2 for a port that is not a number and for a config file it cannot use', async () => {
    const port = await chatctl(['serve', '--port', 'abc', '--db', 'memory'], {});
    expect([port.code, port.stderr]).to.deep.equal([2, 'chatctl: --port must be a whole number from 0 to 65535 (got abc)']);
    const file = config('port = 7878\nmax-conections-per-address = 5\n');
    const unknown = await chatctl(['serve', '--config', file], {});
    expect([unknown.code, unknown.stderr]).to.deep.equal([2, `chatctl: ${file}: unknown key "max-conections-per-address" (the keys are the names of the serve flags: docs/operations.md)`]);
    const missing = await chatctl(['serve'], { PARLEY_CONFIG: join(tmp.path, 'missing.toml') });
    expect([missing.code, missing.stderr]).to.deep.equal([2, `chatctl: cannot read the config file ${join(tmp.path, 'missing.toml')}: no such file`]);
  });

  it('prints the effective configuration from flags, PARLEY_* variables and the file, passwords masked, and exits 0', async () => {
    const file = config('port = 9000\nmax-page-size = 20\ndb = "postgres://parley:s3cret@db.example/chat"\n');
    const printed = await chatctl(['serve', '--config', file, '--print-config', '--max-page-size', '30'], { PARLEY_PORT: '9001' });
    expect(printed.code).to.equal(0);
    expect(printed.stdout).to.not.contain('s3cret');
    expect(printed.stdout.split('\n')).to.include.members(['port = 9001  # environment', 'max-page-size = 30  # flag', 'db = "postgres://parley:***@db.example/chat"  # file', 'log-level = "info"  # default']);
  });

  it('logs each connection with its peer, reason and duration, each login, failed login (with its reason, never the password) and logout', async () => {
    const server = await ServerProcess.start(join(tmp.path, 'chat.sqlite'));
    try {
      const env = { CHATCTL_HOME: join(tmp.path, 'home'), CHATCTL_SERVER: server.address };
      await expectOk(chatctl(['reg', 'alice', '--password-stdin'], env, 'correct horse\n'));
      expect((await chatctl(['login', 'alice', 'wrong horse'], env)).code).to.equal(1);
      await expectOk(chatctl(['login', 'alice', 'correct horse'], env));
      await expectOk(chatctl(['logout'], env));
      await eventually(async () => events(server).filter((e) => e.event === 'connection_closed').length === 4);
      const seen = events(server).map(({ event, user, reason, peer }) => ({ event, user, reason, peer }));
      expect(seen.filter((e) => e.event !== 'connection_opened' && e.event !== 'connection_closed')).to.deep.equal([
        { event: 'login_failed', user: 'alice', reason: 'WRONG_PASSWORD', peer: '127.0.0.1' },
        { event: 'login', user: 'alice', reason: undefined, peer: '127.0.0.1' },
        { event: 'logout', user: 'alice', reason: undefined, peer: '127.0.0.1' },
      ]);
      expect(seen.filter((e) => e.event === 'connection_opened')).to.have.length(4);
      for (const closed of events(server).filter((e) => e.event === 'connection_closed')) {
        expect(closed).to.include({ peer: '127.0.0.1', reason: 'PEER_CLOSED' });
        expect(closed.durationMs).to.be.a('number').and.at.least(0);
      }
      expect(server.running.stderr.seen.join('\n')).to.not.match(/horse/);
    } finally {
      await server.stop();
    }
  });

  it('writes pretty lines for people with --log-format pretty', async () => {
    const server = run(['serve', '--port', '0', '--db', 'memory', '--log-format', 'pretty']);
    const line = await server.stderr.waitFor(/listening/);
    expect(line).to.match(/INFO.*parley.*listening/);
    expect(() => JSON.parse(line)).to.throw();
    server.child.kill('SIGTERM');
    expect(await server.exited()).to.equal(0);
  });

  it('logs to the log-file of its config file, readable by its owner only, where promote writes its audit line too', async () => {
    const log = join(tmp.path, 'log', 'parley.log');
    const file = config(`db = "${join(tmp.path, 'chat.sqlite')}"\nlog-file = "${log}"\nport = 0\n`);
    const server = run(['serve', '--config', file]);
    try {
      const lines = () => readFileSync(log, 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>);
      await eventually(async () => statSync(log, { throwIfNoEntry: false }) !== undefined && lines().some((l) => l.msg === 'listening'));
      expect(statSync(log).mode & 0o777).to.equal(0o600);
      const { port } = lines().find((l) => l.msg === 'listening') as { port: number };
      await expectOk(chatctl(['reg', 'alice', '--password-stdin'], { CHATCTL_HOME: join(tmp.path, 'home'), CHATCTL_SERVER: `127.0.0.1:${port}` }, 'correct horse\n'));
      await expectOk(chatctl(['promote', 'alice'], { PARLEY_CONFIG: file }));
      expect(lines().find((l) => l.audit === true)).to.include({ admin: 'operator', action: 'promote', target: 'alice' });
      expect(server.stderr.seen).to.deep.equal([]);
    } finally {
      server.child.kill('SIGTERM');
      await server.exited();
    }
  });

  it('serves Prometheus metrics and a health check on the metrics port of its config file, counting what chatctl did', async () => {
    const server = await ServerProcess.start(join(tmp.path, 'chat.sqlite'), ['--config', config('metrics-port = 0\n')]);
    try {
      const port = await metricsPort(server);
      expect(await get(port, '/health')).to.deep.equal({ status: 200, body: '{"status":"ok"}' });
      const as = (name: string) => ({ CHATCTL_HOME: join(tmp.path, 'home'), CHATCTL_SERVER: server.address, CHATCTL_PROFILE: name });
      for (const name of ['alice', 'bob']) {
        await expectOk(chatctl(['reg', name, '--password-stdin'], as(name), `pw-${name}-123\n`));
        await expectOk(chatctl(['login', name, `pw-${name}-123`], as(name)));
      }
      expect((await chatctl(['login', 'bob', 'not it'], as('eve'))).code).to.equal(1);
      await expectOk(chatctl(['add', 'bob'], as('alice')));
      await expectOk(chatctl(['send', 'bob', 'hello'], as('alice')));
      // Queued for bob: a friend notice and the message.
      const before = (await get(port, '/metrics')).body;
      expect(sample(before, 'parley_queue_depth')).to.equal(2);
      expect(sample(before, 'parley_requests_total{op="login",status="ok"}')).to.equal(2);
      expect(sample(before, 'parley_requests_total{op="login",status="fail"}')).to.equal(1);
      expect(sample(before, 'parley_request_duration_seconds_count{op="send"}')).to.equal(1);
      expect(sample(before, 'parley_deliveries_total')).to.equal(0);
      expect(before).to.match(/^process_cpu_seconds_total /m);

      const listener = run(['listen'], as('bob'));
      try {
        await listener.stdout.waitFor(/alice: hello/);
        await eventually(async () => {
          const during = (await get(port, '/metrics')).body;
          return sample(during, 'parley_attached_users') === 1 && sample(during, 'parley_connections_open') === 1 && sample(during, 'parley_queue_depth') === 0;
        });
        expect(sample((await get(port, '/metrics')).body, 'parley_deliveries_total')).to.equal(2);
      } finally {
        listener.child.kill('SIGINT');
        await listener.exited();
      }
      expect(await get(port, '/nothing')).to.include({ status: 404 });
    } finally {
      await server.stop();
    }
  });

  it('counts throttled requests', async () => {
    const server = await ServerProcess.start(join(tmp.path, 'chat.sqlite'), ['--metrics-port', '0', '--max-registrations-per-address', '1', '--registration-interval', '60']);
    try {
      const port = await metricsPort(server);
      const env = { CHATCTL_HOME: join(tmp.path, 'home'), CHATCTL_SERVER: server.address };
      await expectOk(chatctl(['reg', 'alice', '--password-stdin'], env, 'pw-alice-123\n'));
      expect((await chatctl(['reg', 'bob', '--password-stdin'], env, 'pw-bob-123\n')).code).to.equal(1);
      expect(sample((await get(port, '/metrics')).body, 'parley_throttled_total{limit="registrations-per-address"}')).to.equal(1);
    } finally {
      await server.stop();
    }
  });

  it('answers /health 503 while PostgreSQL is away, and 200 again once it is back', async () => {
    const schema = await testSchema();
    const outage = new Outage();
    await outage.up();
    const server = await ServerProcess.start(outage.urlFor(schema), ['--metrics-port', '0', '--db-lock-timeout', '1']);
    try {
      const port = await metricsPort(server);
      expect((await get(port, '/health')).status).to.equal(200);
      await outage.down();
      await eventually(async () => (await get(port, '/health')).status === 503);
      expect(JSON.parse((await get(port, '/health')).body)).to.deep.equal({ status: 'unavailable', reason: 'storage does not answer' });
      await outage.up();
      await eventually(async () => (await get(port, '/health')).status === 200, 20_000);
    } finally {
      await outage.up();
      await server.stop();
      await outage.down();
      await schema.drop();
    }
  });
});
