import { expect } from 'chai';
import { join } from 'node:path';
import knex from 'knex';
import { MAX_PAGE_SIZE } from '../../application/paging.js';
import { GROUP_NAME_MAX_LENGTH, USERNAME_MAX_LENGTH } from '../../domain/index.js';
import { MIN_MAX_PAYLOAD_BYTES } from '../../interfaces/wire/index.js';
import { chatctl, ServerProcess, temporaryDirectory } from '../support/processes.js';
import { RawPeer } from '../support/raw-peer.js';
import { eventually, registerCheaply } from '../support/world.js';

/** More rows than two full pages, all with names at their longest. */
const ROWS = 2 * MAX_PAGE_SIZE + 50;
const longUsername = (i: number) => `u${String(i).padStart(USERNAME_MAX_LENGTH - 1, '0')}`;
const longGroupName = (i: number) => `${'😀'.repeat(GROUP_NAME_MAX_LENGTH - 5)}${String(i).padStart(5, '0')}`;

describe('listings in pages, end to end with real processes', function () {
  this.timeout(60_000);
  let tmp: ReturnType<typeof temporaryDirectory>;
  let server: ServerProcess;
  const peers: RawPeer[] = [];
  const as = (profile: string) => ({ CHATCTL_HOME: join(tmp.path, 'home'), CHATCTL_SERVER: server.address, CHATCTL_PROFILE: profile });

  /** Alice is friends with boss and ROWS long-named users, and in ROWS groups with the longest names; boss is an admin. */
  before(async () => {
    tmp = temporaryDirectory();
    const file = join(tmp.path, 'chat.sqlite');
    await registerCheaply(file, ['alice', 'boss']);
    const db = knex({ client: 'better-sqlite3', connection: { filename: file }, useNullAsDefault: true });
    try {
      const [alice, boss] = await db('users').orderBy('id').pluck('id');
      await db('users').where({ id: boss }).update({ is_admin: true });
      await db.batchInsert('users', Array.from({ length: ROWS }, (_, i) => ({ username: longUsername(i), password_hash: 'x', created_at: 0 })), 200);
      const others: number[] = await db('users').where('id', '>', boss).orderBy('id').pluck('id');
      const friends = [boss, ...others].flatMap((id) => [{ user_id: alice, friend_id: id, created_at: 0 }, { user_id: id, friend_id: alice, created_at: 0 }]);
      await db.batchInsert('user_friends', friends, 200);
      await db.batchInsert('groups', others.map((creator, i) => ({ name: longGroupName(i), creator_id: creator, created_at: 0 })), 200);
      const groups: { id: number; creator_id: number }[] = await db('groups').orderBy('id').select('id', 'creator_id');
      const members = groups.flatMap((g) => [{ group_id: g.id, user_id: g.creator_id, role: 0, joined_at: 0 }, { group_id: g.id, user_id: alice, role: 1, joined_at: 1 }]);
      await db.batchInsert('group_members', members, 200);
    } finally {
      await db.destroy();
    }
    // A short presence grace: a case's own `chatctl login` counts its user online only briefly after it.
    server = await ServerProcess.start(file, ['--max-frame-bytes', String(MIN_MAX_PAYLOAD_BYTES), '--presence-grace', '0.05']);
  });

  after(async () => {
    for (const peer of peers.splice(0)) peer.end();
    await server.stop();
    tmp.remove();
  });

  /** A raw connection logged in as the user, and a way to call it that also measures each answer's payload. */
  const loggedIn = async (name: string) => {
    const peer = await RawPeer.open(server.port);
    peers.push(peer);
    let ids = 0;
    const call = async (op: string, args: Record<string, unknown>, token?: string) => {
      const id = ++ids;
      peer.request(id, op, args, token);
      for (;;) {
        const frame = await peer.next();
        if (frame.type === 'response' && frame.id === id) return { frame, bytes: Buffer.byteLength(JSON.stringify(frame)) };
      }
    };
    const { frame } = await call('login', { username: name, password: `pw-${name}-123` });
    const token = (frame.data as { token: string }).token;
    return (op: string, args: Record<string, unknown> = {}) => call(op, args, token);
  };

  /** Every row of a listing, page by page at the largest page size, checking each answer. */
  const walk = async (call: Awaited<ReturnType<typeof loggedIn>>, op: string, key: string) => {
    const rows: Record<string, unknown>[] = [];
    let cursor: string | undefined;
    do {
      const { frame, bytes } = await call(op, { limit: MAX_PAGE_SIZE, ...(cursor ? { cursor } : {}) });
      expect(frame, op).to.include({ status: 'ok' });
      expect(bytes, op).to.be.below(MIN_MAX_PAYLOAD_BYTES);
      const data = frame.data as Record<string, unknown>;
      const page = data[key] as Record<string, unknown>[];
      expect(page.length).to.be.within(1, MAX_PAGE_SIZE);
      rows.push(...page);
      cursor = (data.nextCursor as string | null) ?? undefined;
    } while (cursor);
    return rows;
  };

  it('pages friends, groups, allusers and allgroup: every row once, every answer inside a 64 KiB frame, online flags per page', async () => {
    const alice = await loggedIn('alice');
    const boss = await loggedIn('boss');
    const seeded = Array.from({ length: ROWS }, (_, i) => longUsername(i));
    const friends = await walk(alice, 'friends', 'friends');
    expect(friends.map((f) => f.username)).to.deep.equal(['boss', ...seeded]);
    expect(friends.filter((f) => f.online).map((f) => f.username)).to.deep.equal(['boss']);
    const groups = await walk(alice, 'groups', 'groups');
    expect(groups.map((g) => g.name)).to.deep.equal(seeded.map((_, i) => longGroupName(i)));
    expect(groups.every((g) => g.online === 1 && g.total === 2)).to.equal(true);
    const users = await walk(boss, 'allusers', 'users');
    expect(users.map((u) => u.username)).to.deep.equal(['alice', 'boss', ...seeded]);
    expect((await walk(boss, 'allgroup', 'groups')).map((g) => g.id)).to.deep.equal(groups.map((g) => g.id));
    const tooMany = (await alice('friends', { limit: MAX_PAGE_SIZE + 1 })).frame;
    expect(tooMany).to.include({ status: 'fail', code: 'INVALID_PAGE' });
    expect(tooMany.message).to.contain(`1 to ${MAX_PAGE_SIZE}`);
  });

  it('holds pages to the server\'s --max-page-size, and refuses a bad one at start', async () => {
    const small = await ServerProcess.start(server.db, ['--max-page-size', '2']);
    try {
      const peer = await RawPeer.open(small.port);
      peers.push(peer);
      peer.request(1, 'login', { username: 'alice', password: 'pw-alice-123' });
      const token = ((await peer.next()).data as { token: string }).token;
      peer.request(2, 'friends', {}, token);
      expect(((await peer.next()).data as { friends: unknown[] }).friends).to.have.length(2);
      peer.request(3, 'friends', { limit: 3 }, token);
      expect(await peer.next()).to.deep.include({ status: 'fail', code: 'INVALID_PAGE', data: { maxLimit: 2 } });
    } finally {
      await small.stop();
    }
    const bad = await chatctl(['serve', '--port', '0', '--db', 'memory', '--max-page-size', String(MAX_PAGE_SIZE + 1)], {});
    expect([bad.code, bad.stderr.split('\n').at(-1)]).to.deep.equal([2, `chatctl: --max-page-size must be a whole number from 1 to ${MAX_PAGE_SIZE} (got ${MAX_PAGE_SIZE + 1})`]);
  });

  it('chatctl prints every page by default', async () => {
    await chatctl(['login', 'alice', 'pw-alice-123'], as('alice'));
    const friends = JSON.parse((await chatctl(['friends', '--json'], as('alice'))).stdout) as { friends: unknown[]; nextCursor: null };
    expect([friends.friends.length, friends.nextCursor]).to.deep.equal([ROWS + 1, null]);
    // Piped: a header line, then one tab-separated line per group, no box drawing.
    const listGroups = async () => (await chatctl(['groups'], as('alice'))).stdout.split('\n');
    // alice counts online in her groups for the grace period after her login; then nobody does.
    await eventually(async () => (await listGroups())[ROWS]?.endsWith('\t0\t2\tactive') === true);
    const groups = await listGroups();
    expect(groups).to.have.length(ROWS + 1);
    expect(groups[0]).to.equal('#\tgroup\tonline\tmembers\tstatus');
    expect(groups[ROWS]).to.equal(`${ROWS}\t${longGroupName(ROWS - 1)}@${longUsername(ROWS - 1)}\t0\t2\tactive`);
  });

  it('chatctl shows one page with --limit, saying how to get the next', async () => {
    await chatctl(['login', 'boss', 'pw-boss-123'], as('boss'));
    const first = JSON.parse((await chatctl(['allusers', '--limit', '2', '--json'], as('boss'))).stdout) as { users: { username: string }[]; nextCursor: string };
    expect(first.users.map((u) => u.username)).to.deep.equal(['alice', 'boss']);
    const next = await chatctl(['allusers', '--limit', '2', '--cursor', first.nextCursor], as('boss'));
    expect(next.stdout.split('\n')).to.deep.equal(['user\trole\tstatus\tpresence', `${longUsername(0)}\tuser\tactive\toffline`, `${longUsername(1)}\tuser\tactive\toffline`]);
    // The hint goes to standard error, so a pipe gets only rows.
    expect(next.stderr).to.match(/^more: run the same command with --cursor \d+$/);
  });
});
