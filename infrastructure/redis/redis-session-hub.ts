import { randomUUID } from 'node:crypto';
import { Redis, type RedisOptions } from 'ioredis';
import { SILENT_LOGGER, type Logger } from '../../application/ports/logger.js';
import {
  DEFAULT_PRESENCE_GRACE_MS,
  DEFAULT_PRESENCE_TIMEOUT_MS,
  endsPresenceAtOnce,
  SessionHubError,
  type KickReason,
  type Notification,
  type SessionHub,
  type SessionSink,
} from '../../application/ports/session-hub.js';
import type { OfflineMessage, UserId } from '../../domain/index.js';

/** How long one Redis command may take before the request that needed it answers HUB_UNAVAILABLE. */
export const HUB_COMMAND_TIMEOUT_MS = 5_000;

/** The longest wait between two attempts to reconnect to Redis, so a node is back within about a second of it. */
const RECONNECT_MAX_DELAY_MS = 1_000;

/**
 * Kick notices the stream keeps (roughly: Redis trims it lazily). A node cut off from Redis
 * reads those it missed when it is back, as long as fewer than this were added meanwhile.
 */
export const KICK_STREAM_LENGTH = 10_000;

/** How long one read of the kick stream blocks waiting for a notice before it asks again. */
const KICK_READ_BLOCK_MS = 2_000;

export interface RedisSessionHubOptions {
  /** Put before every key and channel, so deployments (or test runs) can share one Redis; default `parley:`. */
  readonly prefix?: string;
  /** See DEFAULT_PRESENCE_TIMEOUT_MS. */
  readonly presenceTimeoutMs?: number;
  /** See DEFAULT_PRESENCE_GRACE_MS. */
  readonly presenceGraceMs?: number;
  /** See HUB_COMMAND_TIMEOUT_MS. */
  readonly commandTimeoutMs?: number;
  /** Where outage lines go; silent when left out. */
  readonly logger?: Logger;
}

/**
 * Says which users are online: for the i-th of n users, KEYS[i] is their presence set and
 * KEYS[n + i] their leaving key. A user is online with a member on a live node (one whose
 * heartbeat key, ARGV[1] .. node, exists), or while leaving under a token of a live node (in the
 * grace period it started, which it ends); members of dead nodes are taken out on the way.
 * Returns the 1-based indexes of the online ones. One round trip however many are asked about.
 */
const ONLINE_AMONG = `
local online = {}
local alive = {}
local function isAlive(node)
  if alive[node] == nil then alive[node] = redis.call('EXISTS', ARGV[1] .. node) == 1 end
  return alive[node]
end
local n = #KEYS / 2
for i = 1, n do
  local key = KEYS[i]
  local present = false
  for _, member in ipairs(redis.call('SMEMBERS', key)) do
    if isAlive(string.match(member, '^(.-)/')) then present = true else redis.call('SREM', key, member) end
  end
  if not present then
    local token = redis.call('GET', KEYS[n + i])
    if token then present = isAlive(string.match(token, '^(.-)/')) end
  end
  if present then online[#online + 1] = i end
end
return online
`;

/** Counts the live members of the presence set KEYS[1] (alive keys under ARGV[1]), taking out those of dead nodes. Shared by the presence scripts. */
const LIVE_MEMBERS = `
local function live(key, alivePrefix)
  local count = 0
  for _, member in ipairs(redis.call('SMEMBERS', key)) do
    local node = string.match(member, '^(.-)/')
    if redis.call('EXISTS', alivePrefix .. node) == 1 then count = count + 1 else redis.call('SREM', key, member) end
  end
  return count
end
`;

/**
 * Adds the sink ARGV[2] to the presence set KEYS[1]. Returns 1 when the user comes online to be
 * announced: no live sink before, and no offline pending (the leaving key KEYS[2]), which an
 * attach inside its grace period cancels instead. A claim of a grace period whose answer may
 * have been lost (KEYS[3]) is void from now on: the user is back.
 */
const ATTACH_SINK = `${LIVE_MEMBERS}
local before = live(KEYS[1], ARGV[1])
redis.call('SADD', KEYS[1], ARGV[2])
if before > 0 then return 0 end
redis.call('DEL', KEYS[3])
if redis.call('DEL', KEYS[2]) == 1 then return 0 end
return 1
`;

/**
 * Takes the sinks ARGV[3..] out of the presence set KEYS[1] (all of them but ARGV[3] when ARGV[2]
 * is "kick", which then keeps ARGV[3] if not empty). When that leaves the user without a live
 * sink where they had one, marks them leaving (KEYS[2] = the token ARGV[4], expiring after
 * ARGV[5] ms) and returns 1 first (the caller announces them offline once the grace period is
 * over). When ARGV[6] is "final" (a kick that ends presence at once), no grace period begins and
 * one under way ends: if that leaves the user without a live sink and they had one or were
 * leaving, returns 2 first (the caller announces them offline now). Else 0. Then the members
 * the set held before.
 */
const DETACH_SINKS = `${LIVE_MEMBERS}
local before = live(KEYS[1], ARGV[1])
local members = redis.call('SMEMBERS', KEYS[1])
local outcome = 0
if ARGV[2] == 'kick' then
  redis.call('DEL', KEYS[1])
  if ARGV[3] ~= '' then redis.call('SADD', KEYS[1], ARGV[3]) end
else
  redis.call('SREM', KEYS[1], ARGV[3])
end
if live(KEYS[1], ARGV[1]) == 0 then
  if ARGV[6] == 'final' then
    if redis.call('DEL', KEYS[2]) == 1 or before > 0 then outcome = 2 end
  elseif before > 0 then
    redis.call('SET', KEYS[2], ARGV[4], 'PX', ARGV[5])
    outcome = 1
  end
end
table.insert(members, 1, outcome)
return members
`;

/**
 * Ends the grace period of the leaving token ARGV[1] (in KEYS[1]): 1 if the user is still leaving
 * under it, so offline is to be announced. The claim is kept (KEYS[2], for ARGV[2] ms, until the
 * user attaches again) so that asking again, when the answer to a claim that ran was lost (a
 * command timed out), answers 1 again.
 */
const CLAIM_LEAVING = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
  redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[2])
  return 1
end
if redis.call('GET', KEYS[2]) == ARGV[1] then return 1 end
return 0
`;

/** What a node publishes on another's channel: the deliveries for sinks there, in the order delivered, or notices for them. */
interface DeliveryBatch {
  readonly deliveries?: readonly OfflineMessage[];
  readonly notices?: readonly Notification[];
}

/** What a kick tells every node, through the kick stream: whose session ended, and which sinks (by id) to kick. */
interface KickNotice {
  readonly origin: string;
  readonly userId: UserId;
  readonly reason: KickReason;
  readonly message: string;
  readonly sinks: readonly string[];
}

type ScriptedRedis = Redis & {
  onlineAmong(numberOfKeys: number, ...keysAndArgs: string[]): Promise<number[]>;
  attachSink(presenceKey: string, leavingKey: string, claimedKey: string, alivePrefix: string, sinkId: string): Promise<number>;
  detachSinks(
    presenceKey: string,
    leavingKey: string,
    alivePrefix: string,
    mode: 'kick' | 'detach',
    sinkId: string,
    token: string,
    ttlMs: number,
    final: 'final' | '',
  ): Promise<[number, ...string[]]>;
  claimLeaving(leavingKey: string, claimedKey: string, token: string, ttlMs: number): Promise<number>;
};

/** The node a sink id (`<node>/<n>`) belongs to. */
const nodeOf = (sinkId: string) => sinkId.slice(0, sinkId.indexOf('/'));

/** Dates travel as ISO strings; a message's `sentAt` comes back a Date. */
const revive = (key: string, value: unknown) => (key === 'sentAt' && typeof value === 'string' ? new Date(value) : value);

/**
 * The session hub for several server processes sharing one Redis. Each process (a node) keeps
 * its own sinks in memory and names each in Redis (`presence:<user>`, a set of `<node>/<n>`),
 * beside a heartbeat key per node that expires, so a dead node's users fall offline. Pushes go
 * to local sinks at once and to other nodes on their own channel, one publish per node per
 * batch; kicks go to every node through one stream, which a node cut off for a moment reads on
 * from where it was, naming the sinks they end, so a sink attached after the kick (by a newer
 * login) is never ended by it. See docs/adr/0009. Presence changes are decided in Lua with the
 * change itself: an offline waits out its grace period under a `leaving:<user>` key, which an
 * attach anywhere cancels; see docs/adr/0017.
 */
export class RedisSessionHub implements SessionHub {
  private sequence = 0;
  /** This node's sinks, by user, each with its id in Redis. */
  private readonly sinks = new Map<UserId, Map<SessionSink, string>>();
  /** Sink ids this node let go of while Redis was away, still to be taken out of presence. */
  private readonly unremoved = new Map<string, UserId>();
  private readonly endListeners: ((userId: UserId) => void)[] = [];
  private readonly presenceListeners: ((userId: UserId, online: boolean) => void)[] = [];
  /** The grace periods this node started (users whose last sink it let go of), by leaving token. */
  private readonly leaving = new Map<string, NodeJS.Timeout>();
  /** The publishing of earlier deliveries, which the next waits for: one recipient's pushes leave in the order delivered. */
  private publishing: Promise<void> = Promise.resolve();
  private heartbeat: NodeJS.Timeout | undefined;
  private reachable = true;
  private closing = false;
  /** Deliveries not published to other nodes during the current outage. */
  private unpublished = 0;
  /** The id of the last kick notice read from the stream. */
  private kickCursor = '0-0';
  private reading: Promise<void> = Promise.resolve();

  private constructor(
    /** This node's id in Redis: its sinks are named `<nodeId>/<n>`, its connections `parley:<nodeId>:<role>`. */
    readonly nodeId: string,
    private readonly redis: ScriptedRedis,
    private readonly subscriber: Redis,
    /** Blocks reading the kick stream, so it has a connection of its own. */
    private readonly reader: Redis,
    private readonly prefix: string,
    private readonly presenceTimeoutMs: number,
    private readonly presenceGraceMs: number,
    private readonly log: Logger,
  ) {}

  /**
   * Connects to the Redis at `url` (`redis://[user:password@]host:port[/db]`, or `rediss://`
   * for TLS) and joins the hub. Rejects with one line saying why when Redis cannot be reached.
   */
  static async connect(url: string, options: RedisSessionHubOptions = {}): Promise<RedisSessionHub> {
    const where = redisAddress(url);
    const clientOptions: RedisOptions = {
      lazyConnect: true,
      // While Redis is away a request needing it fails at once (HUB_UNAVAILABLE) instead of waiting for it.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: options.commandTimeoutMs ?? HUB_COMMAND_TIMEOUT_MS,
      retryStrategy: (attempt) => Math.min(attempt * 100, RECONNECT_MAX_DELAY_MS),
    };
    const nodeId = randomUUID();
    const redis = new Redis(url, { ...clientOptions, connectionName: `parley:${nodeId}:commands` }) as ScriptedRedis;
    const subscriber = new Redis(url, { ...clientOptions, connectionName: `parley:${nodeId}:pushes` });
    const reader = new Redis(url, { ...clientOptions, connectionName: `parley:${nodeId}:kicks`, commandTimeout: undefined });
    const clients = [redis, subscriber, reader];
    let lastError: Error | undefined;
    for (const client of clients) client.on('error', (error: Error) => (lastError = error));
    const connected = await Promise.allSettled(clients.map((client) => client.connect()));
    const failed = connected.find((outcome) => outcome.status === 'rejected');
    if (failed) {
      for (const client of clients) client.disconnect();
      throw new Error(`cannot reach Redis at ${where}: ${(lastError ?? (failed.reason as Error)).message}`);
    }
    redis.defineCommand('onlineAmong', { lua: ONLINE_AMONG });
    redis.defineCommand('attachSink', { lua: ATTACH_SINK, numberOfKeys: 3 });
    redis.defineCommand('detachSinks', { lua: DETACH_SINKS, numberOfKeys: 2 });
    redis.defineCommand('claimLeaving', { lua: CLAIM_LEAVING, numberOfKeys: 2 });
    const hub = new RedisSessionHub(
      nodeId,
      redis,
      subscriber,
      reader,
      options.prefix ?? 'parley:',
      options.presenceTimeoutMs ?? DEFAULT_PRESENCE_TIMEOUT_MS,
      options.presenceGraceMs ?? DEFAULT_PRESENCE_GRACE_MS,
      options.logger ?? SILENT_LOGGER,
    );
    await hub.start().catch(async (error: unknown) => {
      await hub.close();
      throw new Error(`cannot join the hub on Redis at ${where}: ${(error as Error).message}`, { cause: error });
    });
    return hub;
  }

  async attach(userId: UserId, sink: SessionSink): Promise<void> {
    const id = `${this.nodeId}/${++this.sequence}`;
    let mine = this.sinks.get(userId);
    if (!mine) this.sinks.set(userId, (mine = new Map()));
    mine.set(sink, id);
    let cameOnline: number;
    try {
      cameOnline = await this.redis.attachSink(this.presenceKey(userId), this.leavingKey(userId), this.claimedKey(userId), `${this.prefix}alive:`, id);
    } catch (error) {
      this.forget(userId, sink);
      throw this.unavailable(error);
    }
    if (cameOnline === 1) this.announce(userId, true);
  }

  async detach(userId: UserId, sink: SessionSink): Promise<void> {
    const id = this.forget(userId, sink);
    if (id === undefined) return;
    try {
      await this.takeOut(userId, 'detach', id);
    } catch (error) {
      this.unremoved.set(id, userId);
      throw this.unavailable(error);
    }
  }

  async onlineAmong(userIds: readonly UserId[]): Promise<Set<UserId>> {
    if (userIds.length === 0) return new Set();
    try {
      const keys = [...userIds.map((id) => this.presenceKey(id)), ...userIds.map((id) => this.leavingKey(id))];
      const online = await this.redis.onlineAmong(keys.length, ...keys, `${this.prefix}alive:`);
      return new Set(online.map((index) => userIds[index - 1] as UserId));
    } catch (error) {
      throw this.unavailable(error);
    }
  }

  /**
   * Pushes to this node's sinks at once, then to the nodes holding the other recipients' sinks,
   * after every earlier call's publishes. While Redis is away they are not published, only
   * counted (the count is logged when it is back), never thrown: the deliveries are queued
   * already, so their recipients get them at their next attach.
   */
  async deliver(deliveries: readonly OfflineMessage[]): Promise<void> {
    this.pushLocally(deliveries);
    const recipients = [...new Set(deliveries.map((delivery) => delivery.recipientId))];
    if (recipients.length === 0) return;
    if (!this.reachable) {
      this.unpublished += deliveries.length;
      return;
    }
    const lookup = this.redis.pipeline(recipients.map((id) => ['smembers', this.presenceKey(id)])).exec();
    const published = Promise.all([lookup, this.publishing]).then(([replies]) => this.publish(recipients, replies, deliveries));
    this.publishing = published.catch(() => {});
    await published.catch((error: unknown) => {
      this.unavailable(error);
      this.unpublished += deliveries.length;
    });
  }

  async kick(userId: UserId, reason: KickReason, message: string, keep?: SessionSink): Promise<void> {
    for (const listener of this.endListeners) listener(userId);
    const mine = this.sinks.get(userId);
    const keepId = keep && mine?.get(keep);
    const kicked: string[] = [];
    for (const sink of [...(mine?.keys() ?? [])]) {
      if (sink === keep) continue;
      kicked.push(this.forget(userId, sink) as string);
      sink.kick(reason, message);
    }
    try {
      // Every sink named now is ended, wherever it is; one attached after this is not.
      const members = await this.takeOut(userId, 'kick', keepId || '', endsPresenceAtOnce(reason));
      const elsewhere = members.filter((id) => nodeOf(id) !== this.nodeId && id !== keepId);
      const notice: KickNotice = { origin: this.nodeId, userId, reason, message, sinks: elsewhere };
      await this.redis.xadd(this.kicksKey(), 'MAXLEN', '~', KICK_STREAM_LENGTH, '*', 'notice', JSON.stringify(notice));
    } catch (error) {
      for (const id of kicked) this.unremoved.set(id, userId);
      throw this.unavailable(error);
    }
  }

  /**
   * Passes notices to this node's sinks at once and publishes the rest to the nodes holding the
   * other users' sinks. Notices are not kept anywhere: while Redis is away they are dropped.
   */
  async notify(notifications: readonly Notification[]): Promise<void> {
    this.notifyLocally(notifications);
    const users = [...new Set(notifications.map((notification) => notification.userId))];
    if (users.length === 0 || !this.reachable) return;
    try {
      const replies = (await this.redis.pipeline(users.map((id) => ['smembers', this.presenceKey(id)])).exec()) ?? [];
      await this.publishByNode(users, replies, notifications, (notification) => notification.userId, (notices) => ({ notices }));
    } catch (error) {
      this.unavailable(error);
    }
  }

  onPresence(listener: (userId: UserId, online: boolean) => void): void {
    this.presenceListeners.push(listener);
  }

  onSessionEnded(listener: (userId: UserId) => void): void {
    this.endListeners.push(listener);
  }

  /** Leaves the hub: this node's users go offline at once, and its connections to Redis are closed. */
  async close(): Promise<void> {
    this.closing = true;
    clearInterval(this.heartbeat);
    for (const timer of this.leaving.values()) clearTimeout(timer);
    this.leaving.clear();
    const leaving = this.redis.pipeline().del(this.aliveKey(this.nodeId));
    for (const [userId, mine] of this.sinks) for (const id of mine.values()) leaving.srem(this.presenceKey(userId), id);
    await leaving.exec().catch(() => {});
    this.reader.disconnect();
    await this.reading;
    await Promise.all([this.redis, this.subscriber].map((client) => client.quit().catch(() => client.disconnect())));
  }

  private async start(): Promise<void> {
    for (const client of [this.redis, this.subscriber, this.reader]) {
      client.removeAllListeners('error');
      // The outage is logged once, by `close`; each failed command is the request's to report.
      client.on('error', () => {});
      client.on('close', () => this.unavailable(null));
      client.on('ready', () => void this.beat());
    }
    this.subscriber.on('message', (channel: string, text: string) => {
      try {
        const batch = JSON.parse(text, revive) as DeliveryBatch;
        this.pushLocally(batch.deliveries ?? []);
        this.notifyLocally(batch.notices ?? []);
      } catch (error) {
        this.log.warn({ event: 'hub_message_unreadable', channel, err: error }, 'a message from another node could not be read; it is ignored');
      }
    });
    await this.subscriber.subscribe(this.channelOf(this.nodeId));
    this.kickCursor = (await this.redis.xrevrange(this.kicksKey(), '+', '-', 'COUNT', 1))[0]?.[0] ?? '0-0';
    this.reading = this.readKicks();
    await this.beat();
    this.heartbeat = setInterval(() => void this.beat(), this.presenceTimeoutMs / 3);
  }

  /**
   * Renews this node's heartbeat. When it had gone (Redis restarted empty, or this node
   * stalled past the timeout and others took its users out), says again which sinks are here;
   * and takes out of presence the sinks let go of while Redis was away.
   */
  private async beat(): Promise<void> {
    try {
      const previous = await this.redis.set(this.aliveKey(this.nodeId), '1', 'PX', Math.ceil(this.presenceTimeoutMs), 'GET');
      if (!this.reachable && [this.redis, this.subscriber, this.reader].every((client) => client.status === 'ready')) {
        this.reachable = true;
        this.log.info(
          { event: 'hub_recovered', unpublished: this.unpublished },
          'Redis is back: presence, pushes and kicks across nodes resume; deliveries not pushed to other nodes meanwhile wait for their next attach',
        );
        this.unpublished = 0;
      }
      const repair = this.redis.pipeline();
      if (previous === null) for (const [userId, mine] of this.sinks) for (const id of mine.values()) repair.sadd(this.presenceKey(userId), id);
      const unremoved = [...this.unremoved];
      for (const [id, userId] of unremoved) repair.srem(this.presenceKey(userId), id);
      if (repair.length === 0) return;
      await repair.exec();
      for (const [id] of unremoved) this.unremoved.delete(id);
    } catch (error) {
      this.unavailable(error);
    }
  }

  /** Notes that Redis cannot be reached (logged once per outage) and gives the error a request answers. */
  private unavailable(cause: unknown): SessionHubError {
    if (this.reachable && !this.closing && (cause !== null || [this.redis, this.subscriber, this.reader].some((client) => client.status !== 'ready'))) {
      this.reachable = false;
      this.log.warn({ event: 'hub_unavailable', err: cause ?? undefined }, 'Redis cannot be reached: requests that need it answer HUB_UNAVAILABLE until it is back');
    }
    return new SessionHubError(`the server cannot reach its session hub (Redis): try again in a moment`, { cause });
  }

  /**
   * Reads kick notices as they are added, from the last one read: a node cut off from Redis
   * carries out, when it is back, the kicks made meanwhile. Ends when the hub closes.
   */
  private async readKicks(): Promise<void> {
    while (!this.closing) {
      try {
        const streams = await this.reader.xread('COUNT', 100, 'BLOCK', KICK_READ_BLOCK_MS, 'STREAMS', this.kicksKey(), this.kickCursor);
        for (const [, entries] of streams ?? []) {
          for (const [id, fields] of entries) {
            this.kickCursor = id;
            this.heardKick(id, fields[1]);
          }
        }
      } catch (error) {
        if (this.closing) return;
        this.unavailable(error);
        await new Promise((resolve) => setTimeout(resolve, RECONNECT_MAX_DELAY_MS));
      }
    }
  }

  /** Deliveries another node published for sinks here. */
  private pushLocally(deliveries: readonly OfflineMessage[]): void {
    for (const delivery of deliveries) {
      for (const sink of [...(this.sinks.get(delivery.recipientId)?.keys() ?? [])]) sink.push(delivery);
    }
  }

  private notifyLocally(notifications: readonly Notification[]): void {
    for (const { userId, notice } of notifications) {
      for (const sink of [...(this.sinks.get(userId)?.keys() ?? [])]) sink.notify(notice);
    }
  }

  /**
   * Takes sinks of the user out of presence (the one named, or with `kick` all but the one
   * named); if that leaves the user without any, starts the grace period after which this node
   * announces them offline, unless they attach again meanwhile (anywhere). When `final`, there is
   * no grace period (and one under way, on any node, ends): the user is announced offline now.
   * Returns the sinks the user had.
   */
  private async takeOut(userId: UserId, mode: 'kick' | 'detach', sinkId: string, final = false): Promise<string[]> {
    const token = `${this.nodeId}/${++this.sequence}`;
    // The mark outlives the grace period, so a node that dies before announcing does not leave it for ever.
    const ttlMs = Math.ceil(this.presenceGraceMs + this.presenceTimeoutMs);
    const alive = `${this.prefix}alive:`;
    const [outcome, ...members] = await this.redis.detachSinks(this.presenceKey(userId), this.leavingKey(userId), alive, mode, sinkId, token, ttlMs, final ? 'final' : '');
    if (outcome === 1) this.awaitGrace(userId, token, this.presenceGraceMs, Date.now() + ttlMs);
    else if (outcome === 2) this.announce(userId, false);
    return members;
  }

  /** In `delayMs`, ends the grace period under `token`, whose mark in Redis expires at `markExpiresAt`. */
  private awaitGrace(userId: UserId, token: string, delayMs: number, markExpiresAt: number): void {
    const timer = setTimeout(() => void this.graceOver(userId, token, markExpiresAt), delayMs);
    timer.unref();
    this.leaving.set(token, timer);
  }

  /**
   * A grace period this node started is over: announces the user offline if no attach cancelled
   * it meanwhile. While Redis cannot say, it asks again every RECONNECT_MAX_DELAY_MS for as long
   * as the mark lives, so an outage shorter than that delays the announcement but does not lose it.
   */
  private async graceOver(userId: UserId, token: string, markExpiresAt: number): Promise<void> {
    this.leaving.delete(token);
    try {
      if ((await this.redis.claimLeaving(this.leavingKey(userId), this.claimedKey(userId), token, Math.max(1, markExpiresAt - Date.now()))) === 1) this.announce(userId, false);
    } catch (error) {
      this.unavailable(error);
      const retryAt = Date.now() + RECONNECT_MAX_DELAY_MS;
      if (!this.closing && retryAt < markExpiresAt) this.awaitGrace(userId, token, RECONNECT_MAX_DELAY_MS, markExpiresAt);
    }
  }

  private announce(userId: UserId, online: boolean): void {
    for (const listener of this.presenceListeners) listener(userId, online);
  }

  /** A kick made on another node: its session-end listeners here hear of it, and the sinks it names here are kicked. */
  private heardKick(id: string, text: string | undefined): void {
    let notice: KickNotice;
    try {
      notice = JSON.parse(text ?? '') as KickNotice;
    } catch (error) {
      return this.log.warn({ event: 'hub_message_unreadable', id, err: error }, 'a kick notice could not be read; it is ignored');
    }
    if (notice.origin === this.nodeId) return;
    for (const listener of this.endListeners) listener(notice.userId);
    const ended = new Set(notice.sinks);
    for (const [sink, sinkId] of [...(this.sinks.get(notice.userId) ?? [])]) {
      if (!ended.has(sinkId)) continue;
      this.forget(notice.userId, sink);
      sink.kick(notice.reason, notice.message);
    }
  }

  /** Publishes, to each node holding a sink of a recipient, that node's share of the deliveries, in order. */
  private async publish(recipients: UserId[], replies: [Error | null, unknown][] | null, deliveries: readonly OfflineMessage[]): Promise<void> {
    const published = await this.publishByNode(recipients, replies ?? [], deliveries, (delivery) => delivery.recipientId, (batch) => ({ deliveries: batch }));
    for (const [error] of published) if (error) throw error;
  }

  /**
   * Publishes, to each other node holding a sink of an item's user (`replies`: the presence set
   * of each of `users`, in order), that node's share of the items, in order, as one batch;
   * resolves with each publish's reply.
   */
  private async publishByNode<T>(
    users: readonly UserId[],
    replies: [Error | null, unknown][],
    items: readonly T[],
    userOf: (item: T) => UserId,
    batchOf: (items: T[]) => DeliveryBatch,
  ): Promise<[Error | null, unknown][]> {
    const nodesOf = new Map<UserId, Set<string>>();
    users.forEach((user, index) => {
      const [error, members] = replies[index] ?? [new Error('no reply')];
      if (error) throw error;
      nodesOf.set(user, new Set((members as string[]).map(nodeOf).filter((node) => node !== this.nodeId)));
    });
    const batches = new Map<string, T[]>();
    for (const item of items) {
      for (const node of nodesOf.get(userOf(item)) ?? []) {
        let batch = batches.get(node);
        if (!batch) batches.set(node, (batch = []));
        batch.push(item);
      }
    }
    if (batches.size === 0) return [];
    const publishes = this.redis.pipeline();
    for (const [node, batch] of batches) publishes.publish(this.channelOf(node), JSON.stringify(batchOf(batch)));
    return (await publishes.exec()) ?? [];
  }

  /** Takes the sink out of this node's map; returns its id, or nothing if it was not attached. */
  private forget(userId: UserId, sink: SessionSink): string | undefined {
    const mine = this.sinks.get(userId);
    const id = mine?.get(sink);
    if (!mine || id === undefined) return undefined;
    mine.delete(sink);
    if (mine.size === 0) this.sinks.delete(userId);
    return id;
  }

  private presenceKey(userId: UserId): string {
    return `${this.prefix}presence:${userId}`;
  }

  private leavingKey(userId: UserId): string {
    return `${this.prefix}leaving:${userId}`;
  }

  private claimedKey(userId: UserId): string {
    return `${this.prefix}claimed:${userId}`;
  }

  private aliveKey(node: string): string {
    return `${this.prefix}alive:${node}`;
  }

  private kicksKey(): string {
    return `${this.prefix}kicks`;
  }

  private channelOf(node: string): string {
    return `${this.prefix}node:${node}`;
  }
}

/** The `host:port` of a hub URL, for messages (never its password); refuses what is not a Redis URL. */
export function redisAddress(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`"${url}" is not a hub: use in-process, or redis://host:port for a Redis hub`);
  }
  if ((parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') || !parsed.hostname) {
    throw new Error(`"${url}" is not a hub: use in-process, or redis://host:port for a Redis hub`);
  }
  return `${parsed.hostname}:${parsed.port || '6379'}`;
}
