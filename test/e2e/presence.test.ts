import { expect } from 'chai';
import type { ChatClient } from '../../interfaces/client/chat-client.js';
import { chatctl, run, type Running } from '../support/processes.js';
import { eventually, expectOk, World } from '../support/world.js';

/** The grace period the server runs with: long enough for a reconnect (with its password check) to fit inside it. */
const GRACE_SECONDS = 2;

describe('presence, end to end with real processes', function () {
  this.timeout(90_000);
  let world: World;
  let running: Running[] = [];
  let clients: ChatClient[] = [];

  const listen = async (profile: string, ...flags: string[]) => {
    const listener = run(['listen', ...flags], world.as(profile));
    running.push(listener);
    await listener.stderr.waitFor(new RegExp(`listening as ${profile}`));
    return listener;
  };
  const stop = async (listener: Running) => {
    listener.child.kill('SIGINT');
    expect(await listener.exited()).to.equal(0);
  };
  const client = async (name: string) => {
    const logged = await world.client(name);
    clients.push(logged);
    return logged;
  };
  /** What the listener printed of bob from line `from` on (the markers' lines bound each step). */
  const since = (listener: Running, from: number) => listener.stdout.seen.slice(from).filter((line) => line.includes('bob'));
  /**
   * A marker user who has never been online comes and goes once (one connection, closed), and
   * this waits until `listener` (alice) is told they went offline: every offline that began
   * before has had its grace period run out by then, so it has been announced before it.
   */
  const markerComesAndGoes = async (listener: Running, marker: string) => {
    const connection = await world.client(marker);
    await connection.close();
    await eventually(async () => listener.stdout.seen.includes(`* ${marker} went offline`));
  };
  const MARKERS = ['mark1', 'mark2', 'mark3'];

  beforeEach(async () => {
    world = await World.start(undefined, ['--presence-grace', String(GRACE_SECONDS)]);
    await world.users('alice', 'bob', 'carol');
    // Registered, never logged in: their first presence is the one each step makes.
    for (const marker of MARKERS) await expectOk(chatctl(['reg', marker, '--password-stdin'], world.as(marker), `pw-${marker}-123\n`));
  });
  afterEach(async () => {
    await Promise.all(clients.map((c) => c.close()));
    for (const listener of running) listener.child.kill('SIGKILL');
    running = [];
    clients = [];
    await world.stop();
  });

  it("prints a friend's coming and going, and nothing on a takeover or a reconnect inside the grace period", async () => {
    await expectOk(world.chatctl('alice', 'add', 'bob'));
    await expectOk(world.chatctl('alice', 'add', 'carol'));
    for (const marker of MARKERS) await expectOk(world.chatctl('alice', 'add', marker));
    const alice = await listen('alice');
    // The logins of the set-up come and go too: they are announced before mark1's offline.
    await markerComesAndGoes(alice, 'mark1');

    let from = alice.stdout.seen.length;
    const bob = await listen('bob');
    await alice.stdout.waitFor(/^\* bob is online$/);
    await stop(bob);
    await eventually(async () => since(alice, from).includes('* bob went offline'));
    expect(since(alice, from)).to.deep.equal(['* bob is online', '* bob went offline']);

    // A newer login replaces the session: bob never went offline.
    from = alice.stdout.seen.length;
    await client('bob');
    await eventually(async () => since(alice, from).includes('* bob is online'));
    const newer = await client('bob');
    await markerComesAndGoes(alice, 'mark2');
    expect(since(alice, from)).to.deep.equal(['* bob is online']);

    // A dropped connection, back inside the grace period: nothing either.
    from = alice.stdout.seen.length;
    await newer.close();
    const back = await client('bob');
    await markerComesAndGoes(alice, 'mark3');
    expect(since(alice, from)).to.deep.equal([]);

    await back.close();
    await eventually(async () => since(alice, from).includes('* bob went offline'));
  });

  it('emits presence and group counts as NDJSON lines with --json', async () => {
    await expectOk(world.chatctl('alice', 'add', 'bob'));
    await expectOk(world.chatctl('bob', 'newgroup', 'team'));
    await expectOk(world.chatctl('bob', 'addgroupuser', 'team', 'carol'));
    await expectOk(world.chatctl('bob', 'addgroupuser', 'team', 'alice'));
    const spawn = (profile: string) => {
      const listener = run(['listen', '--json'], world.as(profile));
      running.push(listener);
      return listener;
    };
    const teamOnline = async () => (JSON.parse((await world.chatctl('bob', 'groups', '--json')).stdout) as { groups: { online: number }[] }).groups[0]?.online;
    // The set-up's logins count online for the grace period after them: once it is over, nobody does.
    await eventually(async () => (await teamOnline()) === 0);
    const [alice, carol] = [spawn('alice'), spawn('carol')];
    // --json says nothing on stderr: they are attached once team counts them online.
    await eventually(async () => (await teamOnline()) === 2);
    await listen('bob');
    // bob's coming is two lines for alice (his presence, then the count), which may reach her in two reads.
    await alice.stdout.waitFor(/"type":"presence","username":"bob","online":true/);
    await alice.stdout.waitFor(/"type":"group-presence".*"online":3/);
    await carol.stdout.waitFor(/"type":"group-presence".*"online":3/);
    const events = (listener: Running) => listener.stdout.seen.map((line) => JSON.parse(line) as { type: string });
    const counted = { type: 'group-presence', groups: [{ id: 1, name: 'team', online: 3, members: 3 }] };
    expect(events(alice)).to.deep.include({ type: 'presence', username: 'bob', online: true });
    expect(events(alice)).to.deep.include(counted);
    expect(events(carol)).to.deep.include(counted);
    // carol is no friend of bob's: she learns the count, never his name.
    expect(events(carol).filter((event) => event.type === 'presence')).to.deep.equal([]);
  });
});

describe('listings agree with presence, end to end with real processes', function () {
  this.timeout(90_000);
  /** Longer than the case: whatever it lists during a grace period cannot race the timer. */
  const LONG_GRACE_SECONDS = 120;
  let world: World;
  let listener: Running | undefined;

  beforeEach(async () => {
    world = await World.start(undefined, ['--presence-grace', String(LONG_GRACE_SECONDS)]);
    await world.users('boss', 'alice', 'bob');
    await expectOk(chatctl(['promote', 'boss', '--db', world.server.db], world.as('boss')));
    await expectOk(world.chatctl('boss', 'login', 'boss', 'pw-boss-123')); // so the profile knows it is an admin's
    await expectOk(world.chatctl('alice', 'add', 'bob'));
  });
  afterEach(async () => {
    listener?.child.kill('SIGKILL');
    await world.stop();
  });

  const bobOnline = async () => (JSON.parse((await expectOk(world.chatctl('alice', 'friends', '--json'))).stdout) as { friends: { online: boolean }[] }).friends[0]?.online;
  const teamOnline = async () => (JSON.parse((await expectOk(world.chatctl('alice', 'groups', '--json'))).stdout) as { groups: { online: number }[] }).groups[0]?.online;

  it("lists a friend whose connection dropped as online through the grace period, and offline at once when they are banned", async () => {
    await expectOk(world.chatctl('alice', 'newgroup', 'team'));
    await expectOk(world.chatctl('alice', 'addgroupuser', 'team', 'bob'));
    listener = run(['listen'], world.as('alice'));
    await listener.stderr.waitFor(/listening as alice/);
    const aboutBob = () => listener!.stdout.seen.filter((line) => line.includes('bob'));

    const bob = await world.client('bob');
    expect(await bobOnline()).to.equal(true);
    await bob.close();
    // Dropped, but inside the grace period: every listing says what presence said, online.
    expect(await bobOnline()).to.equal(true);
    expect(await teamOnline()).to.equal(2);
    const back = await world.client('bob');
    expect(await bobOnline()).to.equal(true);
    await back.close();
    expect(await bobOnline()).to.equal(true);

    // A ban ends the session for good: offline at once, grace period or not, and alice is told.
    await expectOk(world.chatctl('boss', 'blockuser', 'bob'));
    expect(await bobOnline()).to.equal(false);
    expect(await teamOnline()).to.equal(1);
    await eventually(async () => aboutBob().length > 0, 10_000);
    // Nothing was announced about bob before: his drops and return all fell inside the grace period.
    expect(aboutBob()).to.deep.equal(['* bob went offline']);
  });

  it('takes a friend offline at once when they log out, and keeps them online through a takeover', async () => {
    listener = run(['listen'], world.as('alice'));
    await listener.stderr.waitFor(/listening as alice/);
    const aboutBob = () => listener!.stdout.seen.filter((line) => line.includes('bob'));
    const kicks: string[] = [];
    const bob = await world.client('bob', (event) => event.type === 'kicked' && kicks.push(event.reason));
    // A newer login replaces bob's connection, and is gone in turn: still online, nothing said.
    await expectOk(world.chatctl('bob', 'login', 'bob', 'pw-bob-123'));
    await eventually(async () => kicks.length > 0);
    expect(kicks).to.deep.equal(['SESSION_REPLACED']);
    await bob.close();
    expect(await bobOnline()).to.equal(true);
    await expectOk(world.chatctl('bob', 'logout'));
    expect(await bobOnline()).to.equal(false);
    await eventually(async () => aboutBob().length > 0, 10_000);
    expect(aboutBob()).to.deep.equal(['* bob went offline']);
  });
});
