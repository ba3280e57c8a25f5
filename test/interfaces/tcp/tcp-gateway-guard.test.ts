import { expect } from 'chai';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import type { ChatApp } from '../../../application/chat-app.js';
import type { LoginThrottleLimits } from '../../../application/ports/login-throttle.js';
import { createChatApp } from '../../../container.js';
import { TcpGateway, type ConnectionLimits } from '../../../interfaces/tcp/tcp-gateway.js';
import { RawPeer } from '../../support/raw-peer.js';
import type { Frame } from './gateway-fixture.js';

/** A gateway on a memory application whose log lines are kept for the test to read. */
class Guarded {
  private readonly peers: RawPeer[] = [];
  private ids = 0;
  private constructor(
    /** Every line logged so far, as JSON text. */
    readonly lines: string[],
    readonly app: ChatApp,
    readonly gateway: TcpGateway,
    readonly port: number,
  ) {}

  static async start(limits: Partial<ConnectionLimits> = {}, loginThrottle: Partial<LoginThrottleLimits> = {}): Promise<Guarded> {
    const lines: string[] = [];
    const sink = new Writable({ write: (chunk: Buffer, _encoding, done) => (lines.push(...chunk.toString().split('\n').filter(Boolean)), done()) });
    const logger = pino({ level: 'debug' }, sink);
    const app = await createChatApp({ storage: 'memory', scryptCost: { N: 2 ** 10, r: 8, p: 1 }, logger, loginThrottle });
    const gateway = new TcpGateway(app, { host: '127.0.0.1', port: 0, logger, limits, shutdownGraceMs: 1000 });
    return new Guarded(lines, app, gateway, (await gateway.listen()).port);
  }

  /** Log lines with this `event`, parsed. */
  events(name: string): Record<string, unknown>[] {
    return this.lines.map((line) => JSON.parse(line) as Record<string, unknown>).filter((entry) => entry.event === name);
  }

  async peer(): Promise<RawPeer> {
    const peer = await RawPeer.open(this.port);
    this.peers.push(peer);
    return peer;
  }

  async call(peer: RawPeer, op: string, args: Record<string, unknown> = {}, token?: string): Promise<Frame> {
    const id = ++this.ids;
    peer.request(id, op, args, token);
    for (;;) {
      const frame = await peer.next();
      if (frame.type === 'response' && frame.id === id) return frame;
    }
  }

  async register(name: string, password = `pw-${name}-123`): Promise<void> {
    await this.app.accounts.register(name, password);
  }

  async login(peer: RawPeer, name: string, password = `pw-${name}-123`): Promise<string> {
    const answer = await this.call(peer, 'login', { username: name, password });
    expect(answer, JSON.stringify(answer)).to.deep.include({ status: 'ok' });
    return (answer.data as { token: string }).token;
  }

  async stop(): Promise<void> {
    for (const peer of this.peers.splice(0)) peer.end();
    await this.gateway.close();
    await this.app.close();
  }
}

/** Sends `count` pipelined requests and resolves with their answers once all came, and how long that took. */
async function pipeline(peer: RawPeer, op: string, count: number, token?: string, firstId = 1, args: Record<string, unknown> = {}): Promise<{ answers: Frame[]; ms: number }> {
  const started = performance.now();
  for (let i = 0; i < count; i++) peer.request(firstId + i, op, args, token);
  const answers: Frame[] = [];
  while (answers.length < count) {
    const frame = await peer.next();
    if (frame.type === 'response') answers.push(frame);
  }
  return { answers, ms: performance.now() - started };
}

describe('TcpGateway caps and throttles, on a real loopback socket', function () {
  this.timeout(20_000);
  let guarded: Guarded;
  afterEach(() => guarded.stop());

  it('refuses limits that are not positive, or not whole where they count whole things', async () => {
    guarded = await Guarded.start();
    const make = (limits: Partial<ConnectionLimits>) => () => new TcpGateway(guarded.app, { host: '127.0.0.1', port: 0, logger: pino({ level: 'silent' }), limits });
    expect(make({ requestsPerSecond: 0 })).to.throw(RangeError, 'requestsPerSecond must be a positive number (got 0)');
    expect(make({ requestBurst: 1.5 })).to.throw(RangeError, 'requestBurst must be a positive whole number (got 1.5)');
    expect(make({ maxConnectionsPerAddress: Number.NaN })).to.throw(RangeError);
    expect(make({ requestsPerSecond: 0.5, maxConnectsPerMinute: 1 })).to.not.throw();
  });

  it('refuses a connection past the most one address may hold with one TOO_MANY_CONNECTIONS frame, and takes one again once another closes', async () => {
    guarded = await Guarded.start({ maxConnectionsPerAddress: 2 });
    const first = await guarded.peer();
    await guarded.peer();
    const third = await guarded.peer();
    const refusal = await third.next();
    expect(refusal).to.deep.include({ type: 'response', id: null, status: 'fail', code: 'TOO_MANY_CONNECTIONS', data: { limit: 2 } });
    await third.closedByServer();
    first.end();
    await first.closedByServer();
    let fourth = await guarded.peer();
    // The server hears of the close a moment after the client does.
    for (let tries = 0; (await guarded.call(fourth, 'whoami').catch(() => null)) === null && tries < 50; tries++) fourth = await guarded.peer();
    expect(await guarded.call(fourth, 'whoami')).to.deep.include({ status: 'fail', code: 'NOT_AUTHENTICATED' });
    expect(guarded.events('throttled')).to.have.length.of.at.least(1);
    expect(guarded.events('throttled')[0]).to.deep.include({ limit: 'connections-per-address', peer: '127.0.0.1' });
  });

  it('refuses new connections past the per-minute rate of one address with RATE_LIMITED and how long to wait', async () => {
    guarded = await Guarded.start({ maxConnectsPerMinute: 3 });
    for (let i = 0; i < 3; i++) expect(await guarded.call(await guarded.peer(), 'whoami')).to.deep.include({ code: 'NOT_AUTHENTICATED' });
    const fourth = await guarded.peer();
    const refusal = await fourth.next();
    expect(refusal).to.deep.include({ id: null, status: 'fail', code: 'RATE_LIMITED' });
    expect(refusal.message).to.contain('more than 3 connections a minute');
    const { retryAfterMs } = refusal.data as { retryAfterMs: number };
    expect(retryAfterMs).to.be.within(1, 20_000);
    await fourth.closedByServer();
    expect(guarded.events('throttled')).to.deep.equal([
      { ...guarded.events('throttled')[0], limit: 'connects-per-minute', peer: '127.0.0.1' },
    ]);
  });

  it('paces a connection past its request budget, answering everything, while another user is answered at once', async () => {
    guarded = await Guarded.start({ requestsPerSecond: 40, requestBurst: 5 });
    await guarded.register('flood');
    await guarded.register('calm');
    const flooding = await guarded.peer();
    const token = await guarded.login(flooding, 'flood');
    const calm = await guarded.peer();
    const calmToken = await guarded.login(calm, 'calm');
    const flood = pipeline(flooding, 'whoami', 45, token, 100);
    const calmStarted = performance.now();
    expect(await guarded.call(calm, 'whoami', {}, calmToken)).to.deep.include({ status: 'ok' });
    expect(performance.now() - calmStarted).to.be.below(300);
    const { answers, ms } = await flood;
    expect(answers.map((a) => a.status)).to.deep.equal(Array(45).fill('ok'));
    // 5 at once, then 40 at 40 a second: about one second.
    expect(ms).to.be.at.least(900);
    expect(guarded.events('throttled')).to.have.length(1);
    expect(guarded.events('throttled')[0]).to.deep.include({ limit: 'requests-per-connection', peer: '127.0.0.1', user: 'flood' });
  });

  it('shares one budget between every connection that presents the same session token', async () => {
    guarded = await Guarded.start({ requestsPerSecond: 20, requestBurst: 20 });
    await guarded.register('alice');
    const token = await guarded.login(await guarded.peer(), 'alice');
    const [one, two] = [await guarded.peer(), await guarded.peer()];
    // Each connection alone stays within its own burst of 20; together they are 10 over the session's (its login took one).
    const both = await Promise.all([pipeline(one, 'whoami', 15, token), pipeline(two, 'whoami', 15, token)]);
    expect(both.flatMap((b) => b.answers).every((a) => a.status === 'ok')).to.equal(true);
    expect(Math.max(...both.map((b) => b.ms))).to.be.at.least(400);
    expect(guarded.events('throttled')[0]).to.deep.include({ limit: 'requests-per-session' });
  });

  it('never paces acknowledgements', async () => {
    guarded = await Guarded.start({ requestsPerSecond: 1, requestBurst: 1 });
    await guarded.register('alice');
    const peer = await guarded.peer();
    const token = await guarded.login(peer, 'alice');
    const { answers, ms } = await pipeline(peer, 'ack', 30, token, 10, { ids: [12345] });
    expect(answers.every((a) => a.status === 'ok')).to.equal(true);
    expect(ms).to.be.below(1000);
  });

  it('slows guessing at an account with RATE_LIMITED before checking the password, and logs each failure', async () => {
    guarded = await Guarded.start({}, { maxFailuresPerAccount: 3, failureIntervalMs: 60_000 });
    await guarded.register('alice');
    const peer = await guarded.peer();
    for (let i = 0; i < 3; i++) expect(await guarded.call(peer, 'login', { username: 'alice', password: `guess-${i}-xx` })).to.deep.include({ code: 'WRONG_PASSWORD' });
    const refused = await guarded.call(peer, 'login', { username: 'alice', password: 'pw-alice-123' });
    expect(refused).to.deep.include({ status: 'fail', code: 'RATE_LIMITED' });
    expect(refused.message).to.match(/too many failed logins for alice; try again in \d+ s/);
    expect((refused.data as { retryAfterMs: number }).retryAfterMs).to.be.within(1, 60_000);
    expect(guarded.events('login_failed').map(({ user, peer: address, reason }) => ({ user, address, reason }))).to.deep.equal(
      Array(3).fill({ user: 'alice', address: '127.0.0.1', reason: 'WRONG_PASSWORD' }),
    );
    expect(guarded.events('throttled')[0]).to.deep.include({ limit: 'failed-logins', user: 'alice', peer: '127.0.0.1' });
  });

  it('counts a wrong current password of passwd and unregister as a failed login, logs it, and never the passwords', async () => {
    guarded = await Guarded.start({}, { maxFailuresPerAccount: 2, failureIntervalMs: 60_000 });
    await guarded.register('alice');
    const peer = await guarded.peer();
    const token = await guarded.login(peer, 'alice');
    const newPassword = 'Quokka-Lantern-New-77';
    expect(await guarded.call(peer, 'passwd', { password: 'guess-1-xx', newPassword }, token)).to.deep.include({ status: 'fail', code: 'WRONG_PASSWORD' });
    expect(await guarded.call(peer, 'unregister', { password: 'guess-2-xx' }, token)).to.deep.include({ status: 'fail', code: 'WRONG_PASSWORD' });
    expect(guarded.events('password_check_failed').map(({ user, op, reason }) => ({ user, op, reason }))).to.deep.equal([
      { user: 'alice', op: 'passwd', reason: 'WRONG_PASSWORD' },
      { user: 'alice', op: 'unregister', reason: 'WRONG_PASSWORD' },
    ]);
    // The login remembered this address, so the account's count spares it: a guesser elsewhere is slowed, not the owner.
    const changed = await guarded.call(peer, 'passwd', { password: 'pw-alice-123', newPassword }, token);
    expect(changed, JSON.stringify(changed)).to.deep.include({ status: 'ok' });
    expect(Object.keys(changed.data as object).sort()).to.deep.equal(['token', 'user']);
    // This connection was attached by its login: it is kicked like every other one of alice.
    expect((await peer.framesUntilClosed()).map((frame) => frame.data)).to.deep.include({ reason: 'PASSWORD_CHANGED', message: 'your password was changed: log in again with the new one' });
    const other = await guarded.peer();
    expect(await guarded.call(other, 'whoami', {}, token)).to.deep.include({ code: 'SESSION_EXPIRED' });
    expect(await guarded.call(other, 'whoami', {}, (changed.data as { token: string }).token)).to.deep.include({ status: 'ok' });
    expect(guarded.lines.join('\n')).to.not.contain(newPassword);
  });

  it('logs refused admin calls, and never a password, a message text or a token', async () => {
    guarded = await Guarded.start({ requestsPerSecond: 50, requestBurst: 2 });
    const password = 'Zebra-Quasar-Password-41';
    const text = 'Heliotrope-Marmalade-Secret-Text';
    await guarded.register('alice', password);
    await guarded.register('bob');
    const alice = await guarded.peer();
    await guarded.call(alice, 'login', { username: 'alice', password: `${password}-wrong` });
    const token = await guarded.login(alice, 'alice', password);
    const bob = await guarded.peer();
    await guarded.login(bob, 'bob');
    expect(await guarded.call(alice, 'add', { username: 'bob' }, token)).to.deep.include({ status: 'ok' });
    expect(await guarded.call(alice, 'send', { to: 'bob', text }, token)).to.deep.include({ status: 'ok' });
    expect(await guarded.call(alice, 'adminsend', { to: 'bob', text }, token)).to.deep.include({ code: 'NOT_ADMIN' });
    await pipeline(alice, 'send', 5, token, 500).catch(() => undefined);
    expect(guarded.events('admin_refused')).to.have.length(1);
    expect(guarded.events('admin_refused')[0]).to.deep.include({ user: 'alice', op: 'adminsend', peer: '127.0.0.1', reason: 'NOT_ADMIN' });
    expect(guarded.events('login_failed')).to.have.length(1);
    expect(guarded.events('throttled')).to.have.length(1);
    const all = guarded.lines.join('\n');
    for (const secret of [password, text, token]) expect(all).to.not.contain(secret);
  });
});
