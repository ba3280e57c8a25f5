import { expect } from 'chai';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchBrowser } from '../support/browser.js';
import { chatctl, run, type Running } from '../support/processes.js';
import { eventually, expectOk, registerCheaply, World } from '../support/world.js';

/** The grace before a friend who left is announced offline: short, so the presence case stays quick. */
const GRACE_SECONDS = 1;
/** With PARLEY_SCREENSHOTS=1 the cases also save the README's screenshots here. */
const SCREENSHOTS = fileURLToPath(new URL('../../../docs/screenshots/', import.meta.url));
/** Users made before the server starts; the first case registers its two through the page. */
const PREPARED = ['erin', 'frank', 'gina', 'hank', 'ivan', 'boss', 'judy', 'kim'];
const passwordOf = (name: string) => `pw-${name}-123`;

describe('the web client in Chromium against a real server, with real chatctl processes', function () {
  this.timeout(60_000);
  let world: World;
  let browser: Browser;
  let url: string;
  let contexts: BrowserContext[] = [];
  let running: Running[] = [];

  const cli = (profile: string, ...args: string[]) => expectOk(world.chatctl(profile, ...args));
  const listen = async (profile: string) => {
    const listener = run(['listen'], world.as(profile));
    running.push(listener);
    await listener.stderr.waitFor(new RegExp(`listening as ${profile}`));
    return listener;
  };

  /** A page of its own (its own sessionStorage, as another person's browser), on the served client. */
  const openPage = async (viewport = { width: 1024, height: 640 }) => {
    const context = await browser.newContext({ viewport });
    contexts.push(context);
    const page = await context.newPage();
    await page.goto(url);
    await page.getByLabel('Username').waitFor();
    return page;
  };
  const submit = async (page: Page, name: string, action: 'Log in' | 'Register' = 'Log in') => {
    await page.getByLabel('Username').fill(name);
    await page.getByLabel('Password').fill(passwordOf(name));
    await page.getByRole('button', { name: action }).click();
  };
  /** Logs in (or registers) through the form and waits until the header says so. */
  const signIn = async (page: Page, name: string, action: 'Log in' | 'Register' = 'Log in') => {
    await submit(page, name, action);
    await page.getByText(`${name} · online`).waitFor();
  };
  const addFriend = async (page: Page, name: string) => {
    await page.getByLabel('Add a friend').fill(name);
    await page.getByLabel('Add a friend').press('Enter');
    await page.getByRole('heading', { name, exact: true }).waitFor(); // its conversation opens
  };
  const say = async (page: Page, text: string) => {
    await page.getByLabel(/Message/).fill(text);
    await page.getByLabel(/Message/).press('Enter');
    await eventually(async () => (await page.locator('.lines .text').allTextContents()).at(-1) === text);
  };
  const linesOf = (page: Page) => page.locator('.lines .text').allTextContents();
  const dotOf = (page: Page, friend: string) => page.getByRole('button', { name: new RegExp(friend) }).getByRole('img').getAttribute('aria-label');
  const screenshot = async (page: Page, name: string) => {
    if (process.env.PARLEY_SCREENSHOTS !== '1') return;
    mkdirSync(SCREENSHOTS, { recursive: true });
    await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`) });
  };

  before(async () => {
    world = await World.start((db) => registerCheaply(db, PREPARED), ['--web-port', '0', '--presence-grace', String(GRACE_SECONDS)]);
    const { port } = JSON.parse(await world.server.running.stderr.waitFor(/"msg":"web listening"/)) as { port: number };
    url = `http://127.0.0.1:${port}/`;
    browser = await launchBrowser();
  });
  afterEach(async () => {
    await Promise.all(contexts.map((context) => context.close()));
    for (const listener of running) listener.child.kill('SIGKILL');
    contexts = [];
    running = [];
  });
  after(async () => {
    await browser?.close();
    await world?.stop();
  });

  it('registers two users through the page, makes them friends, carries their chat live both ways, and logs out', async () => {
    const alice = await openPage();
    await screenshot(alice, 'login');
    await signIn(alice, 'alice', 'Register');
    const bob = await openPage();
    await signIn(bob, 'bob', 'Register');

    await addFriend(alice, 'bob');
    expect(await dotOf(alice, 'bob')).to.equal('online');
    await bob.getByRole('button', { name: /alice/ }).waitFor(); // told of the friendship, bob's list shows alice
    await say(alice, 'hi bob, this is the browser');
    await bob.getByRole('button', { name: /alice/ }).getByText('2', { exact: true }).waitFor(); // the badge: the friend notice and the message
    await bob.getByRole('button', { name: /alice/ }).click();
    expect(await linesOf(bob)).to.deep.equal(['alice added you as a friend', 'hi bob, this is the browser']);
    await say(bob, 'hello alice, live and without a reload');
    await eventually(async () => (await linesOf(alice)).at(-1) === 'hello alice, live and without a reload');
    await say(alice, 'see you');
    await eventually(async () => (await linesOf(bob)).at(-1) === 'see you');
    expect(await linesOf(alice)).to.deep.equal(['hi bob, this is the browser', 'hello alice, live and without a reload', 'see you']);
    await screenshot(alice, 'conversation');

    await alice.getByRole('button', { name: 'Log out' }).click();
    await alice.getByLabel('Username').waitFor();
    await eventually(async () => (await dotOf(bob, 'alice')) === 'offline', 5_000);
    await submit(alice, 'bob', 'Register');
    await alice.getByRole('alert').getByText('The username bob is taken.').waitFor();
  });

  it('keeps what was sent to a user whose page is closed, and shows it in order at their next login', async () => {
    const erin = await openPage();
    await signIn(erin, 'erin');
    const frank = await openPage();
    await signIn(frank, 'frank');
    await addFriend(erin, 'frank');
    await frank.getByRole('button', { name: /erin/ }).waitFor();
    await eventually(async () => (await world.queuedFor('frank')).length === 0); // the page acknowledged erin's friend notice
    await frank.context().close();

    const backlog = ['are you there?', 'second, while you were away', 'third and last'];
    for (const text of backlog) await say(erin, text);
    const again = await openPage();
    await signIn(again, 'frank');
    await again.getByRole('button', { name: /erin/ }).getByText('3', { exact: true }).waitFor();
    await again.getByRole('button', { name: /erin/ }).click();
    expect(await linesOf(again)).to.deep.equal(backlog);
    // Shown is not yet acknowledged: a reload before the page's ack is stored would replay them, as it should.
    await eventually(async () => (await world.queuedFor('frank')).length === 0);

    await again.reload(); // the kept token attaches again: no password asked, erin listed, nothing replayed
    await again.getByRole('button', { name: /erin/ }).click();
    await again.getByText('frank · online').waitFor();
    expect(await again.getByLabel('Password').count()).to.equal(0);
    expect(await linesOf(again)).to.deep.equal([]);
  });

  it("carries a group's messages between a page and chatctl, and gives the owner the group's controls", async () => {
    await cli('hank', 'login', 'hank', passwordOf('hank'));
    const hank = await listen('hank');
    const gina = await openPage();
    await signIn(gina, 'gina');
    await gina.getByLabel('New group').fill('crew');
    await gina.getByLabel('New group').press('Enter');
    await gina.getByRole('heading', { name: 'crew · 1/1 online' }).waitFor();
    await gina.getByLabel('Invite a user').fill('hank');
    await gina.getByLabel('Invite a user').press('Enter');
    await gina.getByRole('heading', { name: 'crew · 2/2 online' }).waitFor();
    await hank.stdout.waitFor(/gina added you to the group crew/);

    await cli('hank', 'sendgroup', 'crew@gina', 'hello from the terminal');
    await eventually(async () => (await linesOf(gina)).at(-1) === 'hello from the terminal');
    await say(gina, 'hello from the browser');
    await hank.stdout.waitFor(/\] crew@gina gina: hello from the browser$/);
    expect(await gina.getByRole('button', { name: 'Delete group' }).isVisible()).to.equal(true);
    await screenshot(gina, 'group-owner');
    await gina.setViewportSize({ width: 360, height: 740 });
    expect(await gina.evaluate('document.documentElement.scrollWidth')).to.be.at.most(360);
    await screenshot(gina, 'phone');

    hank.child.kill('SIGINT');
    expect(await hank.exited()).to.equal(0);
    await gina.getByRole('heading', { name: 'crew · 1/2 online' }).waitFor(); // told by group-presence, after the grace
  });

  it("shows a ban by an admin (promoted while the server runs) to the banned user's page", async () => {
    const ivan = await openPage();
    await signIn(ivan, 'ivan');
    await expectOk(chatctl(['promote', 'boss', '--db', world.server.db], world.as('boss')));
    await cli('boss', 'login', 'boss', passwordOf('boss'));
    await cli('boss', 'blockuser', 'ivan');
    await ivan.getByRole('alert').getByText('You were banned by an admin: you are logged out.').waitFor();
    await ivan.getByRole('button', { name: 'Log in' }).waitFor();
    await submit(ivan, 'ivan'); // refused: the form stays, saying why
    await ivan.getByRole('alert').getByText('This account is banned.').waitFor();

    const admin = await openPage(); // its login ends boss's chatctl session
    await signIn(admin, 'boss');
    await admin.getByRole('button', { name: 'Admin' }).click();
    await admin.getByRole('region', { name: 'Users' }).getByRole('button', { name: 'Unban user ivan' }).waitFor();
    await screenshot(admin, 'admin');
  });

  it("turns a friend's dot on when their chatctl listens, and off a grace period after it stops", async () => {
    const judy = await openPage();
    await signIn(judy, 'judy');
    await addFriend(judy, 'kim');
    expect(await dotOf(judy, 'kim')).to.equal('offline'); // kim never logged in
    // kim's login comes and goes: on at once, off a grace period after its connection ends.
    await cli('kim', 'login', 'kim', passwordOf('kim'));
    await eventually(async () => (await dotOf(judy, 'kim')) === 'online');
    await eventually(async () => (await dotOf(judy, 'kim')) === 'offline');

    const kim = await listen('kim');
    await eventually(async () => (await dotOf(judy, 'kim')) === 'online');
    kim.child.kill('SIGINT');
    expect(await kim.exited()).to.equal(0);
    const stopped = Date.now();
    await eventually(async () => (await dotOf(judy, 'kim')) === 'offline');
    expect(Date.now() - stopped).to.be.at.least(GRACE_SECONDS * 1000 - 100);
  });
});
