import { expect } from 'chai';
import type { Browser, Page, WebSocketRoute } from 'playwright-core';
import { FAKE_ORIGIN, launchBrowser, serveBuiltClient } from '../support/browser.js';
import { eventually } from '../support/world.js';

type Request = { type: 'request'; id: number; op: string; token?: string; args?: Record<string, unknown> };

/**
 * A stand-in for the server's WebSocket, scripted by the test: it records every request and
 * answers each with what `answer` gives (or leaves it unanswered when that is undefined).
 */
class ScriptedServer {
  readonly requests: Request[] = [];
  socket: WebSocketRoute | null = null;

  constructor(private readonly answer: (request: Request, server: ScriptedServer) => Record<string, unknown> | undefined) {}

  async install(page: Page): Promise<void> {
    await page.routeWebSocket(`${FAKE_ORIGIN.replace('http', 'ws')}/ws`, (socket) => {
      this.socket = socket;
      socket.onMessage((raw) => {
        const request = JSON.parse(String(raw)) as Request;
        this.requests.push(request);
        const data = this.answer(request, this);
        if (data !== undefined) socket.send(JSON.stringify({ type: 'response', id: request.id, status: 'ok', data }));
      });
    });
  }

  push(event: string, data: unknown, id?: number): void {
    this.socket!.send(JSON.stringify({ type: 'event', event, data, ...(id === undefined ? {} : { id }) }));
  }

  /** Every id the page acknowledged so far. */
  acked(): number[] {
    return this.requests.filter((request) => request.op === 'ack').flatMap((request) => request.args!.ids as number[]);
  }
}

const ALICE = { id: 1, username: 'alice', isAdmin: false, banned: false };

/** Puts the scripted server in place, opens the page and logs in as alice with Enter. */
async function logIn(page: Page, server: ScriptedServer): Promise<void> {
  await server.install(page);
  await page.goto(`${FAKE_ORIGIN}/`);
  await page.getByLabel('Username').fill('alice');
  await page.getByLabel('Password').fill('correct horse');
  await page.getByLabel('Password').press('Enter');
}
const message = (text: string) => ({ kind: 'private', from: 'bob', fromAdmin: false, text, sentAt: '2026-11-25T12:00:00.000Z' });

describe('the web client in Chromium (a scripted WebSocket in place of the server)', function () {
  this.timeout(60_000);
  let browser: Browser;
  let page: Page;

  before(async () => {
    browser = await launchBrowser();
  });
  after(() => browser?.close());
  beforeEach(async () => {
    page = await browser.newPage({ viewport: { width: 360, height: 740 } });
    await serveBuiltClient(page);
  });
  afterEach(() => page.close());

  it('shows the login form with no server at all', async () => {
    await page.goto(`${FAKE_ORIGIN}/`);
    await page.getByLabel('Username').waitFor();
    expect(await page.getByLabel('Password').getAttribute('type')).to.equal('password');
    expect(await page.getByRole('button', { name: 'Log in' }).isVisible()).to.equal(true);
    expect(await page.getByRole('button', { name: 'Register' }).isVisible()).to.equal(true);
  });

  it('logs in, shows the backlog once each in order, acknowledges it, follows presence, sends with Enter, and says why it was kicked', async () => {
    const server = new ScriptedServer((request, self) => {
      switch (request.op) {
        case 'login':
          // The backlog comes before the answer; a delivery may come twice.
          self.push('message', message('first <b>bold</b>'), 11);
          self.push('message', message('second'), 12);
          self.push('message', message('first <b>bold</b>'), 11);
          return { token: 'tok', user: ALICE, welcome: 'welcome, alice', backlog: 2 };
        case 'friends':
          return { friends: [{ username: 'bob', isAdmin: false, banned: false, online: true }], nextCursor: null };
        case 'groups':
          return { groups: [], nextCursor: null };
        case 'ack':
          return { acknowledged: request.args!.ids, unknown: [] };
        case 'send':
          return { message: { id: 99, to: request.args!.to, sentAt: '2026-11-25T12:01:00.000Z' } };
        default:
          return undefined;
      }
    });
    await logIn(page, server);

    const bob = page.getByRole('button', { name: /bob/ });
    await bob.getByText('2', { exact: true }).waitFor(); // the badge: two new messages, the repeat not counted
    expect(await bob.getByRole('img').getAttribute('aria-label')).to.equal('online');
    await eventually(async () => [...new Set(server.acked())].sort().join() === '11,12');
    expect(await page.evaluate("sessionStorage.getItem('parley.token')")).to.equal('tok');

    expect(await page.getByLabel(/Message/).isVisible()).to.equal(false); // no conversation open yet
    await bob.click();
    const lines = page.locator('.lines .text');
    expect(await lines.allTextContents()).to.deep.equal(['first <b>bold</b>', 'second']); // as typed: never parsed as HTML
    expect(await bob.locator('.badge').count()).to.equal(0);
    expect(await page.evaluate('document.documentElement.scrollWidth')).to.be.at.most(360); // nothing wider than a phone

    server.push('message', { ...message('from a stranger'), from: 'carol', fromAdmin: true }, 13);
    await page.getByRole('button', { name: /carol/ }).getByText('1', { exact: true }).waitFor();
    await page.getByText('New message in carol.').waitFor(); // said to screen readers, carol not being in view
    expect(await lines.allTextContents()).to.deep.equal(['first <b>bold</b>', 'second']);

    server.push('presence', { username: 'bob', online: false });
    await eventually(async () => (await bob.getByRole('img').getAttribute('aria-label')) === 'offline');

    await page.getByLabel(/Message/).fill('hello bob');
    await page.getByLabel(/Message/).press('Enter');
    await eventually(async () => (await lines.allTextContents()).at(-1) === 'hello bob');
    const send = server.requests.find((request) => request.op === 'send')!;
    expect(send.token).to.equal('tok');
    expect(send.args).to.include({ to: 'bob', text: 'hello bob' });
    expect(await page.getByLabel(/Message/).inputValue()).to.equal('');

    server.push('kicked', { reason: 'SESSION_REPLACED', message: 'you logged in somewhere else' });
    await page.getByRole('alert').getByText('You logged in somewhere else: you are logged out.').waitFor();
    await page.getByLabel('Username').waitFor();
    expect(await page.evaluate("sessionStorage.getItem('parley.token')")).to.equal(null);
  });

  it('acknowledges a backlog that came long before the login\'s answer with the token that answer brings', async () => {
    const server = new ScriptedServer((request, self) => {
      switch (request.op) {
        case 'login':
          self.push('message', message('early'), 21);
          self.push('message', message('earlier still'), 22);
          // A slow server: the answer, and the token with it, come well after the page's ack delay (50 ms).
          setTimeout(() => self.socket!.send(JSON.stringify({ type: 'response', id: request.id, status: 'ok', data: { token: 'tok', user: ALICE, welcome: 'welcome, alice', backlog: 2 } })), 400);
          return undefined;
        case 'friends':
          return { friends: [], nextCursor: null };
        case 'groups':
          return { groups: [], nextCursor: null };
        case 'ack':
          return request.token === 'tok' ? { acknowledged: request.args!.ids, unknown: [] } : undefined;
        default:
          return undefined;
      }
    });
    await logIn(page, server);
    await eventually(async () => [...new Set(server.acked())].sort().join() === '21,22');
    // No ack went out without the token: the server would have refused it, and the ids were gone.
    expect(server.requests.filter((request) => request.op === 'ack').map((request) => request.token)).to.deep.equal(['tok']);
  });

  it('attaches again with the kept token when the connection drops and after a reload, showing a replayed delivery once', async () => {
    const server = new ScriptedServer((request, self) => {
      switch (request.op) {
        case 'login':
          self.push('message', message('before the drop'), 21);
          return { token: 'tok', user: ALICE, welcome: 'welcome, alice', backlog: 1 };
        case 'attach':
          self.push('message', message('before the drop'), 21); // its ack may not have arrived: replayed
          self.push('message', message('after the drop'), 22);
          return { user: ALICE, backlog: 2 };
        case 'friends':
          return { friends: [{ username: 'bob', isAdmin: false, banned: false, online: true }], nextCursor: null };
        case 'groups':
          return { groups: [], nextCursor: null };
        default:
          return {};
      }
    });
    await server.install(page);
    await page.goto(`${FAKE_ORIGIN}/`);
    await page.getByLabel('Username').fill('alice');
    await page.getByLabel('Password').fill('correct horse');
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('button', { name: /bob/ }).click();
    const lines = page.locator('.lines .text');
    await lines.first().waitFor();

    await server.socket!.close({ code: 1012, reason: 'server restarting' });
    await page.getByRole('alert').getByText(/Connection lost \(server restarting\); trying again in 1 s/).waitFor();
    await eventually(async () => (await lines.allTextContents()).join('|') === 'before the drop|after the drop');
    const attach = server.requests.find((request) => request.op === 'attach')!;
    expect(attach.token).to.equal('tok');
    expect(await page.getByText(/Connection lost/).count()).to.equal(0); // the notice went with the outage

    const attachesBefore = server.requests.filter((request) => request.op === 'attach').length;
    await page.reload();
    await page.getByRole('button', { name: /bob/ }).waitFor();
    expect(server.requests.filter((request) => request.op === 'attach')).to.have.length(attachesBefore + 1);
    expect(await page.getByLabel('Password').count()).to.equal(0);
  });

  it('gives up a connection on which the server stays silent 30 s, says the message was not sent, and attaches again', async () => {
    let silent = false;
    const server = new ScriptedServer((request) => {
      if (silent && request.op !== 'attach') return undefined;
      switch (request.op) {
        case 'login':
          return { token: 'tok', user: ALICE, welcome: 'welcome, alice', backlog: 0 };
        case 'attach':
          silent = false;
          return { user: ALICE, backlog: 0 };
        case 'friends':
          return { friends: [{ username: 'bob', isAdmin: false, banned: false, online: true }], nextCursor: null };
        case 'groups':
          return { groups: [], nextCursor: null };
        default:
          return {};
      }
    });
    await page.clock.install();
    await logIn(page, server);
    await page.getByRole('button', { name: /bob/ }).click();

    silent = true;
    await page.getByLabel(/Message/).fill('are you there?');
    await page.getByLabel(/Message/).press('Enter');
    await eventually(async () => server.requests.some((request) => request.op === 'send'));
    await page.clock.fastForward(29_000);
    expect(await page.getByText(/Not sent/).count()).to.equal(0);
    await page.clock.fastForward(2_000);
    await page.getByText('Not sent (the server did not answer in time): it stays in the box; send it again once reconnected.').waitFor();
    await page.getByText('alice · offline, reconnecting…').waitFor();
    expect(await page.getByLabel(/Message/).inputValue()).to.equal('are you there?');
    await page.clock.fastForward(1_000);
    await page.getByText('alice · online').waitFor();
    expect(server.requests.filter((request) => request.op === 'attach')).to.have.length(1);
  });

  it("gives a group's owner alone the controls to invite, remove and delete, sends to the group, and follows its online count", async () => {
    const team = { id: 5, name: 'team', creator: 'alice', online: 1, total: 2, banned: false };
    const club = { id: 6, name: 'club', creator: 'carol', online: 2, total: 3, banned: false };
    const server = new ScriptedServer((request) => {
      switch (request.op) {
        case 'login':
          return { token: 'tok', user: ALICE, welcome: 'welcome, alice', backlog: 0 };
        case 'friends':
          return { friends: [], nextCursor: null };
        case 'groups':
          return { groups: [team, club], nextCursor: null };
        case 'addgroupuser':
          return { group: { ...team, total: 3 } };
        case 'sendgroup':
          return { group: club, recipients: 2, queueFull: [], sentAt: '2026-11-25T12:02:00.000Z' };
        default:
          return {};
      }
    });
    await logIn(page, server);

    await page.getByRole('button', { name: /club \(carol\)/ }).click();
    expect(await page.getByRole('button', { name: 'Delete group' }).count()).to.equal(0);
    expect(await page.getByLabel('Invite a user').count()).to.equal(0);
    await page.getByLabel(/Message/).fill('hi club');
    await page.getByLabel(/Message/).press('Enter');
    await eventually(async () => (await page.locator('.lines .text').allTextContents()).join() === 'hi club');
    expect(server.requests.find((request) => request.op === 'sendgroup')!.args).to.include({ group: 6, text: 'hi club' });

    await page.getByRole('button', { name: /^team/ }).click();
    await page.getByRole('button', { name: 'Delete group' }).waitFor();
    await page.getByLabel('Invite a user').fill('dave');
    await page.getByLabel('Invite a user').press('Enter');
    await page.getByRole('heading', { name: 'team · 1/3 online' }).waitFor();

    // Another member comes online: the counts come in `group-presence`, the friend's dot (none here) in `presence`.
    server.push('group-presence', { groups: [{ id: 5, name: 'team', online: 2, total: 3 }, { id: 6, name: 'club', online: 1, total: 3 }] });
    await page.getByRole('heading', { name: 'team · 2/3 online' }).waitFor();
    await page.getByRole('button', { name: /club \(carol\)/ }).getByText('1/3 online').waitFor();
    expect(server.requests.find((request) => request.op === 'addgroupuser')!.args).to.deep.equal({ name: 'team', creator: 'alice', username: 'dave' });
  });

  it("gives an admin the pages of users and groups, a page at a time, and bans from there", async () => {
    const page1 = [{ username: 'alice', isAdmin: true, banned: false, online: true }];
    const page2 = [{ username: 'bob', isAdmin: false, banned: false, online: false }];
    let bobBanned = false;
    const server = new ScriptedServer((request) => {
      switch (request.op) {
        case 'login':
          return { token: 'tok', user: { ...ALICE, isAdmin: true }, welcome: 'welcome, alice', backlog: 0 };
        case 'friends':
          return { friends: [], nextCursor: null };
        case 'groups':
        case 'allgroup':
          return { groups: [], nextCursor: null };
        case 'allusers':
          return request.args!.cursor === 'c2'
            ? { users: page2.map((user) => ({ ...user, banned: bobBanned })), nextCursor: null }
            : { users: page1, nextCursor: 'c2' };
        case 'blockuser':
          bobBanned = true;
          return { user: { ...page2[0], banned: true } };
        default:
          return {};
      }
    });
    await logIn(page, server);

    await page.getByRole('button', { name: 'Admin' }).click();
    const users = page.getByRole('region', { name: 'Users' });
    await users.getByRole('cell', { name: 'alice', exact: true }).waitFor();
    await users.getByRole('button', { name: 'Next' }).click();
    await users.getByRole('cell', { name: 'bob', exact: true }).waitFor();
    expect(await users.getByRole('cell', { name: 'alice', exact: true }).count()).to.equal(0);
    await users.getByRole('button', { name: 'Ban user bob' }).click();
    await page.getByText('Banned user bob.').waitFor();
    await users.getByRole('button', { name: 'Unban user bob' }).waitFor(); // the page read again, at the same cursor
    expect(server.requests.find((request) => request.op === 'blockuser')!.args).to.deep.equal({ username: 'bob' });
    expect(await users.getByRole('button', { name: 'Previous' }).isEnabled()).to.equal(true);
  });

  it('shows a refused login and the wait a throttled one asks for', async () => {
    const server = new ScriptedServer(() => undefined);
    await server.install(page);
    await page.goto(`${FAKE_ORIGIN}/`);
    await page.getByLabel('Username').fill('alice');
    await page.getByLabel('Password').fill('wrong password');
    await page.getByRole('button', { name: 'Log in' }).click();
    await eventually(async () => server.requests.some((request) => request.op === 'login'));
    const login = server.requests.find((request) => request.op === 'login')!;
    server.socket!.send(JSON.stringify({ type: 'response', id: login.id, status: 'fail', code: 'RATE_LIMITED', message: 'too many failed logins', data: { retryAfterMs: 29_500 } }));
    await page.getByRole('alert').getByText('Too many attempts: try again in 30 s.').waitFor();
    expect(await page.getByRole('button', { name: 'Log in' }).isEnabled()).to.equal(true);
  });
});
