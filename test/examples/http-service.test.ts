import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Lines, temporaryDirectory } from '../support/processes.js';

/** The compiled example, run as its README says. */
const SERVER = fileURLToPath(new URL('../../examples/http-service/server.js', import.meta.url));

interface Answer {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

describe('examples/http-service: an HTTP service embedding parley', () => {
  let tmp: ReturnType<typeof temporaryDirectory>;
  let child: ChildProcess;
  let base: string;

  /** Calls the service as `user` (the pretend authentication header), with a JSON body for a POST. */
  async function call(method: 'GET' | 'POST', path: string, user?: string, body?: object): Promise<Answer> {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: { ...(user ? { 'x-user': user } : {}), ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }

  before(async () => {
    tmp = temporaryDirectory();
    child = spawn(process.execPath, [SERVER], { env: { ...process.env, PORT: '0', CHAT_DB: join(tmp.path, 'chat.sqlite') }, stdio: ['ignore', 'pipe', 'pipe'] });
    const line = await new Lines(child.stdout!).waitFor(/^listening on /);
    base = line.slice('listening on '.length);
    for (const username of ['alice', 'bob']) expect((await call('POST', '/users', undefined, { username })).status).to.equal(201);
  });

  after(async () => {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
    tmp.remove();
  });

  it('sends for the user the header names, and the friend reads and acknowledges the inbox', async () => {
    expect((await call('POST', '/me/friends', 'alice', { username: 'bob' })).status).to.equal(201);
    const sent = await call('POST', '/me/messages', 'alice', { to: 'bob', text: 'hello over HTTP' });
    expect(sent.status).to.equal(201);
    expect(sent.body).to.include({ to: 'bob' });

    const inbox = await call('GET', '/me/inbox', 'bob');
    expect(inbox.status).to.equal(200);
    const items = inbox.body.items as { id: number; kind: string; text: string; from: { username: string } }[];
    expect(items.map((m) => [m.kind, m.text])).to.deep.equal([
      ['notice', 'alice added you as a friend'],
      ['private', 'hello over HTTP'],
    ]);
    expect(items[1]!.from.username).to.equal('alice');

    const ack = await call('POST', '/me/inbox/ack', 'bob', { ids: items.map((m) => m.id) });
    expect(ack.body).to.deep.equal({ acknowledged: items.map((m) => m.id), unknown: [] });
    expect((await call('GET', '/me/inbox', 'bob')).body.items).to.deep.equal([]);
  });

  it('streams the inbox as server-sent events while the client listens', async () => {
    const abort = new AbortController();
    const response = await fetch(`${base}/me/inbox/stream`, { headers: { 'x-user': 'bob' }, signal: abort.signal });
    expect(response.headers.get('content-type')).to.equal('text/event-stream');
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    expect((await call('POST', '/me/messages', 'alice', { to: 'bob', text: 'live over HTTP' })).status).to.equal(201);
    let received = '';
    while (!received.includes('live over HTTP')) {
      const { value, done } = await reader.read();
      if (done) expect.fail(`the stream ended; it carried: ${received}`);
      received += value;
    }
    expect(received).to.match(/^event: message\nid: \d+\ndata: \{.*"text":"live over HTTP"/m);
    abort.abort();
  });

  it('answers refusals with an HTTP status and the stable code', async () => {
    expect(await call('GET', '/me/inbox')).to.deep.include({ status: 401, body: { code: 'NOT_AUTHENTICATED', message: 'say who you are in the x-user header' } });
    expect(await call('GET', '/me/inbox', 'nobody')).to.deep.include({ status: 404 });
    expect((await call('GET', '/me/inbox', 'nobody')).body.code).to.equal('UNKNOWN_USER');
    expect((await call('POST', '/me/messages', 'bob', { to: 'carol', text: 'hi' })).body.code).to.equal('UNKNOWN_USER');
    const stranger = await call('POST', '/users', undefined, { username: 'carol' });
    expect(stranger.status).to.equal(201);
    expect(await call('POST', '/me/messages', 'carol', { to: 'bob', text: 'hi' })).to.deep.include({ status: 403 });
    expect((await call('POST', '/me/messages', 'bob', { to: 'alice' })).body).to.deep.equal({ code: 'BAD_ARGUMENTS', message: '"text" must be a string' });
    expect((await call('GET', '/nowhere', 'bob')).status).to.equal(404);
  });

  it('manages a group and sends to it', async () => {
    const group = await call('POST', '/me/groups', 'alice', { name: 'team' });
    expect(group.status).to.equal(201);
    expect((await call('POST', '/me/groups/team/members', 'alice', { username: 'bob' })).body).to.include({ name: 'team', total: 2 });
    const sent = await call('POST', `/me/groups/${group.body.id as number}/messages`, 'alice', { text: 'standup' });
    expect(sent.body).to.include({ recipients: 1 });
    const texts = ((await call('GET', '/me/inbox', 'bob')).body.items as { text: string }[]).map((m) => m.text);
    expect(texts.slice(-2)).to.deep.equal(['alice added you to the group team@alice', 'standup']);
  });
});
