import { expect } from 'chai';
import { fileURLToPath } from 'node:url';
import { chatctl, run, runScript, type Running } from '../support/processes.js';
import { eventually, expectOk, World } from '../support/world.js';

/** The built bot, as its README runs it. */
const BOT = fileURLToPath(new URL('../../examples/bot/bot.js', import.meta.url));

describe('the bot example, end to end with real processes', function () {
  this.timeout(60_000);
  let world: World;
  const running: Running[] = [];

  beforeEach(async () => {
    world = await World.start();
    await world.users('alice');
    await expectOk(chatctl(['reg', 'bot', '--password-stdin'], world.as('bot'), 'pw-bot-123\n'));
  });

  afterEach(async () => {
    for (const child of running.splice(0)) if (child.child.exitCode === null) child.child.kill('SIGKILL');
    await world.stop();
  });

  function start(...args: string[]): Running {
    const bot = runScript(BOT, args, { PARLEY_SERVER: world.server.address, PARLEY_BOT_USERNAME: 'bot', PARLEY_BOT_PASSWORD: 'pw-bot-123' });
    running.push(bot);
    return bot;
  }

  it('answers a friend\'s private messages, acknowledges them, and stops cleanly on SIGTERM', async () => {
    await expectOk(world.chatctl('alice', 'add', 'bot'));
    const bot = start();
    await bot.stdout.waitFor(/^logged in as bot/);
    const listener = run(['listen'], world.as('alice'));
    running.push(listener);
    await listener.stderr.waitFor(/listening as alice/);

    await expectOk(world.chatctl('alice', 'send', 'bot', 'hi'));
    await listener.stdout.waitFor(/bot: you said: hi$/);
    await expectOk(world.chatctl('alice', 'send', 'bot', '!time'));
    await listener.stdout.waitFor(/bot: it is \d{4}-\d\d-\d\dT/);
    await bot.stdout.waitFor(/answered alice/);
    // What the bot handled is acknowledged: nothing waits for it on the server.
    await eventually(async () => (await world.queuedFor('bot')).length === 0);

    bot.child.kill('SIGTERM');
    expect(await bot.exited()).to.equal(0);
    expect(bot.stdout.seen.at(-1)).to.equal('stopped');
    listener.child.kill('SIGINT');
    await listener.exited();
  });

  it('answers what waited for it while it was away', async () => {
    await expectOk(world.chatctl('alice', 'add', 'bot'));
    await expectOk(world.chatctl('alice', 'send', 'bot', 'are you there?'));
    const bot = start();
    await bot.stdout.waitFor(/^logged in as bot \(2 waiting\)/);
    await bot.stdout.waitFor(/answered alice/);
    bot.child.kill('SIGINT');
    expect(await bot.exited()).to.equal(0);
    const listener = run(['listen'], world.as('alice'));
    running.push(listener);
    await listener.stdout.waitFor(/bot: you said: are you there\?$/);
    listener.child.kill('SIGINT');
    await listener.exited();
  });

  it('says how to run it when it has no credentials, with exit 2', async () => {
    const bot = runScript(BOT, [], { PARLEY_BOT_USERNAME: '', PARLEY_BOT_PASSWORD: '' });
    running.push(bot);
    expect(await bot.exited()).to.equal(2);
    expect(bot.stderr.seen.join('\n')).to.match(/^usage: bot\.js <username> <password>/);
  });
});
