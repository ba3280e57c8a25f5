import { z } from 'zod';
import type { ChatServices } from '../../application/chat-app.js';
import type { Logger } from '../../application/ports/logger.js';
import type { Detach } from '../../application/delivery-service.js';
import { SessionHubError, type KickReason, type Notice, type SessionSink } from '../../application/ports/session-hub.js';
import { StorageError } from '../../application/ports/storage-error.js';
import { DomainError, type OfflineMessage, type User, type UserId } from '../../domain/index.js';
import { messageEventHead, messageEventTail } from '../wire/message-payload.js';
import {
  errorResponse,
  event,
  failResponse,
  okResponse,
  parseRequest,
  WireError,
  type Event,
  type Request,
  type Response,
  type WireEvents,
} from '../wire/index.js';
import { OPERATIONS, type Operation, type OperationContext, type Stored, type UserContext } from './operations.js';
import type { ConnectionBudget } from './request-throttle.js';
import { NO_OBSERVER, type SessionObserver } from './session-observer.js';
import type { Encoded, Outgoing, Transport, TransportHandler } from './transport.js';

export interface SessionLimits {
  /** Requests read but not yet answered; past this the transport stops reading until the session catches up. */
  readonly maxQueuedRequests: number;
  /** Bytes waiting to be taken by a peer that does not read; past this it is cut off (its messages stay queued). */
  readonly maxBufferedBytes: number;
  /** From the connection's start, however many bytes it trickles: log in, or present a valid token, within this. */
  readonly loginTimeoutMs: number;
  /** An attached peer that has sent nothing for this long is sent a `ping` event. */
  readonly pingIntervalMs: number;
  /** After a ping, how long an attached peer has to send anything before it is closed and counted offline. */
  readonly pingTimeoutMs: number;
  /** How long a connection the server decided to close has to be answered what it is owed and take it. */
  readonly closeGraceMs: number;
}

/** The codes that mean an admin operation was refused to its caller, rather than refused by a rule about its target. */
const ADMIN_REFUSALS: ReadonlySet<string> = new Set(['NOT_ADMIN', 'NOT_AUTHENTICATED', 'SESSION_EXPIRED', 'USER_BANNED']);

/** The operations of a logged-in user that check their password again, counted with failed logins. */
const PASSWORD_CHECKS: ReadonlySet<string> = new Set(['passwd', 'unregister']);

/**
 * A session token, the user it was found to belong to, and when it stops working (ms since the
 * epoch). It is itself what the operations of this identity are handed, made once rather than
 * per request (a context spread per request was 5 % of S1's CPU).
 */
interface Identity extends UserContext {
  readonly expiresAtMs: number;
}

/** The operation a request names, if the server has one of that name (never an inherited property). */
function operationOf(op: string): Operation<unknown> | undefined {
  return Object.hasOwn(OPERATIONS, op) ? OPERATIONS[op] : undefined;
}

/** The work chain of a session with nothing queued: shared, so an idle session holds no promise of its own. */
const SETTLED: Promise<void> = Promise.resolve();

/**
 * One attachment of a session to a user's pushes: the sink the hub holds. A session makes a
 * new one each time it attaches, so a push or kick meant for an attachment it has since left
 * is told apart and ignored.
 */
class Attachment implements SessionSink {
  detach: Detach | null = null;
  /**
   * The identity requests may use without asking storage. Held only here: an attachment
   * hears of every end of its user's session (a kick), so it knows when to forget it.
   */
  identity: Identity | null = null;

  constructor(
    readonly userId: UserId,
    private readonly session: ChatSession,
  ) {}

  push(delivery: OfflineMessage): void {
    this.session.pushFrom(this, delivery);
  }

  kick(reason: KickReason, message: string): void {
    this.session.kickFrom(this, reason, message);
  }

  ready(): Promise<void> {
    return this.session.ready();
  }

  notify(notice: Notice): void {
    this.session.notifyFrom(this, notice);
  }

  get gone(): boolean {
    return !this.session.holds(this);
  }
}

/**
 * One client's conversation with the server, whatever carries it: answers requests one at a
 * time in the order they arrived (so one client's sends keep their order), and once attached
 * receives the user's pushes and kicks. It sees envelopes, never bytes.
 */
export class ChatSession implements TransportHandler {
  private attachment: Attachment | null = null;
  /**
   * While a `login` runs: the attachment it may replace, and a kick that ended it meanwhile.
   * The kick is carried out only if the login leaves the session unattached, so a failed
   * login changes nothing and a successful one is not cut off by its own kick of the old session.
   */
  private replacing: { readonly attachment: Attachment | null; kick: { reason: KickReason; message: string } | null } | null = null;
  private queued = 0;
  /** Set once the server decides to close: from then on nothing more is read or executed. */
  private closing = false;
  private ended = false;
  /** The closing in progress, once the server decided on one. */
  private finishing: Promise<void> | null = null;
  /** When the peer last sent a frame, by `performance.now()`: any frame is a sign of life. */
  private lastHeard = performance.now();
  /** When the ping now waiting for a sign of life was sent. */
  private pingedAt: number | null = null;
  // Each timer is dropped once cleared or fired: an idle attached connection holds only its ping's.
  private loginTimer: NodeJS.Timeout | undefined;
  private pingTimer: NodeJS.Timeout | undefined;
  private graceTimer: NodeJS.Timeout | undefined;
  private work = SETTLED;
  /** Requests in the chain of turns: waiting for those before, or being taken (a pipelined one until it has its place in storage's order, any other until answered). */
  private taking = 0;
  /** Who waits for every request read to be answered (a closing); made when the first does. */
  private waitingForAnswers: (() => void)[] | null = null;
  private waitingForRoom: (() => void)[] | null = null;
  private readonly openedAt = performance.now();
  /** Why the server ended the connection, once it decided to; a connection closed with none was closed by its peer. */
  private closeReason: string | null = null;
  /** What every operation is handed, made once: a request adds its token (and user) to a copy, and no closures. */
  private readonly context: Omit<OperationContext, 'token'>;

  constructor(
    private readonly transport: Transport,
    private readonly services: ChatServices,
    private readonly limits: SessionLimits,
    private readonly log: Logger,
    private readonly budget: ConnectionBudget,
    private readonly observer: SessionObserver = NO_OBSERVER,
  ) {
    this.context = {
      services,
      peerIp: transport.peerIp,
      attach: (userId, token) => this.attach(userId, token),
      detach: () => this.detach(),
    };
    this.log.info({ event: 'connection_opened', peer: transport.peerIp }, 'connection opened');
    // The deadline counts from the start, not from the last byte, so trickling does not reset it.
    this.loginTimer = setTimeout(() => {
      this.loginTimer = undefined;
      const seconds = limits.loginTimeoutMs / 1000;
      this.disconnect('LOGIN_TIMEOUT', errorResponse(null, 'LOGIN_TIMEOUT', `log in within ${seconds} s of connecting`));
    }, limits.loginTimeoutMs);
  }

  /** Reads nothing more, answers what was read, tells an attached client the server is going away, then closes. */
  shutdown(graceMs: number): Promise<void> {
    this.closeReason ??= 'SERVER_SHUTDOWN';
    return this.finish(this.attachment ? event('kicked', { reason: 'SERVER_SHUTDOWN', message: 'the server is shutting down' } satisfies WireEvents['kicked']) : null, graceMs);
  }

  // Once closing, nothing more is taken, whatever the transport had decoded before it stopped reading.
  receive(payload: unknown): void {
    if (this.closing) return;
    this.lastHeard = performance.now();
    let request: Request;
    try {
      request = parseRequest(payload);
    } catch (error) {
      if (!(error instanceof WireError)) throw error;
      return this.refuse(error);
    }
    this.enqueue(request);
  }

  refuse(error: WireError): void {
    if (this.closing) return;
    this.lastHeard = performance.now();
    this.log.debug({ peer: this.transport.peerIp, code: error.code }, error.message);
    const response = errorResponse(error.requestId ?? null, error.code, error.message);
    // A fatal error comes after the answers to the requests read before it.
    if (error.fatal) this.disconnect(error.code, response);
    else this.sendResponse(response);
  }

  /** An unattached connection that went quiet is closed; an attached one is the ping's business. */
  idle(): void {
    if (!this.attachment) this.disconnect('IDLE_TIMEOUT', null);
  }

  drained(): void {
    const waiting = this.waitingForRoom;
    this.waitingForRoom = null;
    for (const wake of waiting ?? []) wake();
  }

  closed(): void {
    const user = this.attachment?.identity?.user.username;
    const durationMs = Math.round(performance.now() - this.openedAt);
    this.log.info(
      { event: 'connection_closed', peer: this.transport.peerIp, reason: this.closeReason ?? 'PEER_CLOSED', durationMs, ...(user ? { user } : {}) },
      'connection closed',
    );
    this.ended = true;
    this.meetLoginDeadline();
    clearTimeout(this.pingTimer);
    clearTimeout(this.graceTimer);
    this.pingTimer = this.graceTimer = undefined;
    this.detach();
    this.drained();
  }

  /** Resolves when the transport has room for more pushes, or will never take any more. */
  async ready(): Promise<void> {
    while (this.transport.open && this.transport.bufferedBytes >= this.limits.maxBufferedBytes / 4) {
      await new Promise<void>((resolve) => (this.waitingForRoom ??= []).push(resolve));
    }
  }

  /** The user whose pushes this connection receives, while it is attached and open. */
  get attachedUser(): UserId | undefined {
    return this.ended ? undefined : this.attachment?.userId;
  }

  /** Whether the attachment is this session's current one on a connection still open. */
  holds(attachment: Attachment): boolean {
    return attachment === this.attachment && !this.ended;
  }

  /** A push to one of this session's attachments; only the current one is passed on. */
  pushFrom(attachment: Attachment, delivery: OfflineMessage): void {
    if (attachment !== this.attachment) return;
    this.observer.delivered();
    this.sendEvent({ type: 'encoded', head: messageEventHead(delivery.message), tail: messageEventTail(delivery.id) }, 'message', delivery.id);
  }

  /** A notice to one of this session's attachments: an event without an id, sent only by the current one. */
  notifyFrom(attachment: Attachment, notice: Notice): void {
    if (attachment !== this.attachment) return;
    if (notice.type === 'presence') this.sendEvent(event('presence', { username: notice.username, online: notice.online } satisfies WireEvents['presence']));
    else this.sendEvent(event('group-presence', { groups: notice.groups.map((group) => ({ ...group })) } satisfies WireEvents['group-presence']));
  }

  /** The hub ends the session an attachment belongs to (newer login, logout, ban, too slow). */
  kickFrom(attachment: Attachment, reason: KickReason, message: string): void {
    if (attachment !== this.attachment) return;
    if (reason === 'TOO_SLOW') this.logDisconnect('TOO_SLOW');
    this.attachment = null;
    if (this.replacing?.attachment === attachment) this.replacing.kick = { reason, message };
    else this.end(reason, message);
  }

  /** Tells the client why its session ended, once what it is owed is answered, then closes. */
  private end(reason: KickReason, message: string): void {
    this.closeReason ??= reason;
    void this.finish(event('kicked', { reason, message } satisfies WireEvents['kicked']), this.limits.closeGraceMs);
  }

  /** Closes the connection for a limit it broke, saying so in the log and, if there is one, in a last frame. */
  private disconnect(limit: string, last: Response | null): void {
    this.logDisconnect(limit);
    void this.finish(last, this.limits.closeGraceMs);
  }

  private logDisconnect(limit: string): void {
    this.closeReason ??= limit;
    const user = this.attachment?.identity?.user.username;
    this.log.warn({ event: 'disconnected', limit, peer: this.transport.peerIp, ...(user ? { user } : {}) }, 'connection closed by a limit');
  }

  /**
   * The one way the server ends a conversation: reads and executes nothing more, takes the
   * connection out of the hub (if it was the user's last, they stay online for the presence
   * grace period, as after a dropped connection; a kick that ended the session took it out
   * already, offline at once), answers the requests read before (pipelined ones once
   * committed), sends `last`, then closes. A peer that has not
   * taken it all and gone within `graceMs` is cut off, so it cannot hold the connection open
   * by not reading or never sending its FIN.
   */
  private finish(last: Response | Event | null, graceMs: number): Promise<void> {
    if (this.finishing) return this.finishing;
    this.stopReading();
    this.graceTimer = setTimeout(() => this.transport.close(false), graceMs);
    this.detach();
    this.finishing = (async () => {
      await this.allAnswered();
      if (last?.type === 'response') this.sendResponse(last);
      else if (last) this.sendEvent(last);
      this.transport.close(true);
      this.drained();
    })();
    return this.finishing;
  }

  private stopReading(): void {
    this.closing = true;
    this.transport.pause();
    this.meetLoginDeadline();
    clearTimeout(this.pingTimer);
    this.pingTimer = undefined;
  }

  /** Stops the login deadline, which a valid token or the connection's end has met. */
  private meetLoginDeadline(): void {
    clearTimeout(this.loginTimer);
    this.loginTimer = undefined;
  }

  /**
   * Pings an attached peer that has sent nothing for the ping interval, and closes it if it
   * then sends nothing for the ping timeout: a peer that vanished without a FIN counts
   * offline within about their sum, not TCP keep-alive's many minutes.
   */
  private heartbeat(): void {
    this.pingTimer = undefined;
    const pingedAt = this.pingedAt;
    this.pingedAt = null;
    if (!this.attachment || this.closing) return;
    if (pingedAt !== null && this.lastHeard <= pingedAt) {
      const seconds = this.limits.pingTimeoutMs / 1000;
      return this.disconnect('PING_TIMEOUT', errorResponse(null, 'PING_TIMEOUT', `no answer to a ping within ${seconds} s`));
    }
    const quiet = performance.now() - this.lastHeard;
    if (quiet < this.limits.pingIntervalMs) {
      this.pingTimer = setTimeout(() => this.heartbeat(), this.limits.pingIntervalMs - quiet);
      return;
    }
    this.pingedAt = performance.now();
    this.sendEvent(event('ping', {}));
    this.pingTimer = setTimeout(() => this.heartbeat(), this.limits.pingTimeoutMs);
  }

  /**
   * Requests are taken one at a time in the order read. A pipelined one (a send, an ack) lets
   * the next go as soon as it has taken its place in storage's order, and is answered when its
   * commit is done, so a client's window of sends shares one commit; its answers may overtake
   * nothing it sent earlier, since every request before it was taken first. With nothing
   * before it still being taken, a pipelined request of the identity the attachment remembers
   * is taken at once, in this call, without a promise of its own: a sender's window of sends.
   */
  private enqueue(request: Request): void {
    if (++this.queued >= this.limits.maxQueuedRequests) this.transport.pause();
    if (this.taking > 0) return this.take(request, undefined);
    // Its turn is now. Within budget (nearly always) the request goes on in this same call.
    const paced = this.turnOf(request);
    if (!paced && this.pipelineAtOnce(request)) return;
    this.take(request, paced ?? null);
  }

  /** Takes the request once those before it are taken; `paced` is its budget's turn if taken already (null: no wait). */
  private take(request: Request, paced: Promise<void> | null | undefined): void {
    this.taking++;
    this.work = this.work.then(async () => {
      // The server cut the connection off meanwhile (before or while the request waited its turn): its answer could not be sent, so it must not run.
      const cutOff = () => this.closing && !this.transport.open;
      try {
        if (cutOff()) return this.answered();
        if (paced === undefined) paced = this.turnOf(request) ?? null;
        if (paced) {
          await paced;
          if (cutOff()) return this.answered();
        }
        await this.handle(request);
      } catch (error) {
        this.cannotAnswer(request, error);
        this.answered();
      } finally {
        this.taking--;
      }
    });
  }

  /** The request's turn in the connection's budget: nothing to wait for (nearly always), or the wait. */
  private turnOf(request: Request): Promise<void> | undefined {
    return this.budget.turn(request.op, request.token, (limit) => this.logThrottled(limit, request.token));
  }

  /** Takes a pipelined request of the identity the attachment remembers, with well-formed arguments, at once; false if it is not one. */
  private pipelineAtOnce(request: Request): boolean {
    const operation = operationOf(request.op);
    if (operation?.access !== 'member' || !operation.pipelined) return false;
    const identity = this.remembered(request.token, false);
    if (!identity) return false;
    // Arguments that do not parse take the usual way, which words the refusal.
    const args = operation.args.safeParse(request.args);
    if (!args.success) return false;
    const started = performance.now();
    let stored: Stored;
    try {
      stored = operation.run(identity, args.data);
    } catch (error) {
      stored = { stored: Promise.reject(error as Error) };
    }
    this.answerWhenStored(request, request.op, started, stored);
    return true;
  }

  /** A request has been answered (or dropped, cut off): one fewer read and waiting. */
  private answered(): void {
    if (--this.queued === 0) {
      // None left between read and answered: every step of the chain has run, so it can start afresh.
      this.work = SETTLED;
      const waiting = this.waitingForAnswers;
      this.waitingForAnswers = null;
      for (const wake of waiting ?? []) wake();
    }
    if (this.queued < this.limits.maxQueuedRequests && !this.closing) this.transport.resume();
  }

  /** Resolves once every request read has been answered, pipelined ones once committed. */
  private allAnswered(): Promise<void> {
    if (this.queued === 0) return SETTLED;
    return new Promise((resolve) => (this.waitingForAnswers ??= []).push(resolve));
  }

  private cannotAnswer(request: Request, error: unknown): void {
    this.log.error({ err: error, op: request.op, peer: this.transport.peerIp }, 'cannot answer a request');
  }

  /**
   * Answers the request and counts it answered: at once, or, for a pipelined one handed to
   * storage, once its commit is done (and this resolves when it was handed over).
   */
  private async handle(request: Request): Promise<void> {
    const operation = operationOf(request.op);
    const replacing = operation?.access === 'anyone' && operation.replacesSession;
    if (replacing) this.replacing = { attachment: this.attachment, kick: null };
    const started = performance.now();
    const op = operation ? request.op : 'unknown';
    let response: Response | Stored;
    try {
      response = await this.respond(request, operation);
    } finally {
      // Before the answer is counted, so that whatever throws here is counted once, by `enqueue`; the kick's last frame still follows the answer.
      const kick = replacing ? this.replacing?.kick : null;
      if (replacing) this.replacing = null;
      if (kick && !this.attachment) this.end(kick.reason, kick.message);
    }
    if ('stored' in response) return this.answerWhenStored(request, op, started, response);
    if (replacing && response.status !== 'ok' && this.attachment) this.attachment.identity = null;
    this.answer(request, op, started, response);
  }

  /** Answers a pipelined request once its work is durable, or refused. */
  private answerWhenStored(request: Request, op: string, started: number, { stored }: Stored): void {
    stored.then(
      (data) => this.answer(request, op, started, okResponse(request.id, data)),
      (error: unknown) => this.answer(request, op, started, this.failure(request, error)),
    );
  }

  /** Sends a request's answer, counted in the metrics under `op` from when the request was taken. */
  private answer(request: Request, op: string, started: number, response: Response): void {
    try {
      this.observer.requestAnswered(op, response.status, (performance.now() - started) / 1000);
      this.sendResponse(response);
    } catch (error) {
      this.cannotAnswer(request, error);
    }
    this.answered();
  }

  /** The answer to a request, or, for a pipelined one handed to storage, its result once durable. */
  private async respond(request: Request, operation: Operation<unknown> | undefined): Promise<Response | Stored> {
    if (!operation) return errorResponse(request.id, 'UNKNOWN_OPERATION', `unknown operation "${request.op}"`);
    const args = operation.args.safeParse(request.args);
    if (!args.success) return errorResponse(request.id, 'BAD_ARGUMENTS', z.prettifyError(args.error));
    let user: User | undefined;
    try {
      if (operation.access === 'anyone') {
        const data = await operation.run({ ...this.context, token: request.token }, args.data);
        this.logSuccess(request.op, args.data, undefined);
        return okResponse(request.id, data);
      }
      const identity = this.remembered(request.token, operation.access === 'admin') ?? (await this.identify(request.token));
      user = identity.user;
      if (!operation.pipelined) {
        // After the user's earlier sends have taken their place in storage's order: a kick from a group, a logout, come after them.
        const handing = this.services.delivery.handedOver(user.id);
        if (handing) await handing;
        const data = await operation.run(identity, args.data);
        this.logSuccess(request.op, args.data, user);
        return okResponse(request.id, data);
      }
      return operation.run(identity, args.data);
    } catch (error) {
      if (error instanceof DomainError) this.logRefusal(request.op, operation, error, args.data, user);
      return this.failure(request, error);
    }
  }

  /** The answer to a request that failed: a refusal the client can act on, or an error that is also logged. */
  private failure(request: Request, error: unknown): Response {
    if (error instanceof DomainError) return failResponse(request.id, error.code, error.message, error.details);
    if (error instanceof StorageError || error instanceof SessionHubError) {
      this.log.error({ code: error.code, err: error.cause, op: request.op, peer: this.transport.peerIp }, error instanceof StorageError ? 'storage failed' : 'session hub failed');
      return errorResponse(request.id, error.code, error.message, error.retryAfterMs === undefined ? undefined : { retryAfterMs: error.retryAfterMs });
    }
    this.log.error({ err: error, op: request.op, peer: this.transport.peerIp }, 'request failed');
    return errorResponse(request.id, 'INTERNAL', 'the server failed to handle this request; it has been logged');
  }

  /**
   * One structured line for each refusal an operator (or fail2ban) acts on: a failed or
   * throttled login or password check, a refused admin operation. Names and codes only, never a password or text.
   */
  private logRefusal(op: string, operation: Operation<unknown>, error: DomainError, args: unknown, user: User | undefined): void {
    const peer = this.transport.peerIp;
    if (op === 'login') {
      const { username } = args as { username: string };
      if (error.code === 'RATE_LIMITED') {
        this.observer.throttled('failed-logins');
        this.log.warn({ event: 'throttled', limit: 'failed-logins', peer, user: username }, 'login refused: too many failures');
      } else this.log.warn({ event: 'login_failed', user: username, peer, reason: error.code }, 'login failed');
    } else if (PASSWORD_CHECKS.has(op) && (error.code === 'RATE_LIMITED' || error.code === 'WRONG_PASSWORD')) {
      const fields = { user: user?.username, op, peer };
      if (error.code === 'RATE_LIMITED') {
        this.observer.throttled('failed-logins');
        this.log.warn({ event: 'throttled', limit: 'failed-logins', ...fields }, `${op} refused: too many failures`);
      } else this.log.warn({ event: 'password_check_failed', ...fields, reason: error.code }, `${op} refused: wrong password`);
    } else if (op === 'register' && error.code === 'RATE_LIMITED') {
      this.observer.throttled('registrations-per-address');
      this.log.warn({ event: 'throttled', limit: 'registrations-per-address', peer }, 'registration refused: too many from this address');
    } else if (operation.access === 'admin' && ADMIN_REFUSALS.has(error.code)) {
      this.log.warn({ event: 'admin_refused', user: user?.username, op, peer, reason: error.code }, 'admin operation refused');
    }
  }

  /** One line for each login and logout, the counterpart of a failed login's: names only. */
  private logSuccess(op: string, args: unknown, user: User | undefined): void {
    const peer = this.transport.peerIp;
    if (op === 'login') this.log.info({ event: 'login', user: (args as { username: string }).username, peer }, 'logged in');
    else if (op === 'logout') this.log.info({ event: 'logout', user: user?.username, peer }, 'logged out');
  }

  /** The first wait of a throttle trip; the user is named when the connection knows who the token belongs to. */
  private logThrottled(limit: string, token: string | undefined): void {
    const identity = this.attachment?.identity;
    const user = identity && identity.token === token ? identity.user.username : undefined;
    this.observer.throttled(limit);
    this.log.warn({ event: 'throttled', limit, peer: this.transport.peerIp, user }, 'requests over budget: pacing them');
  }

  /**
   * The identity the attachment holds for this token, while it has not expired; none when
   * `fresh`, for rights that must be current. Answered without a wait: the common case.
   */
  private remembered(token: string | undefined, fresh: boolean): Identity | undefined {
    const remembered = this.attachment?.identity;
    return !fresh && remembered && remembered.token === token && Date.now() < remembered.expiresAtMs ? remembered : undefined;
  }

  private identity(token: string, user: User, expiresAt: Date): Identity {
    // Written out rather than spread: one object with every property in it, where a spread
    // puts those after it in a second allocation, kept per attached connection.
    const { services, peerIp, attach, detach } = this.context;
    return { services, peerIp, attach, detach, token, user, expiresAtMs: expiresAt.getTime() };
  }

  /**
   * The user behind a request's token as storage answers (which refuses an expired token),
   * remembered if it names the attached user.
   */
  private async identify(token: string | undefined): Promise<Identity> {
    const { user, expiresAt } = await this.services.accounts.liveSession(token);
    const identity = this.identity(token as string, user, expiresAt); // liveSession refuses a missing token
    this.meetLoginDeadline();
    const attachment = this.attachment;
    if (attachment?.userId === user.id && (!attachment.identity || attachment.identity.token === token)) attachment.identity = identity;
    return identity;
  }

  /**
   * Attaches this session to the user's pushes; resolves once their backlog has been pushed.
   * Then checks the token once more: a session that ended before the hub held the attachment
   * could not kick it, and its token must not be remembered.
   */
  private async attach(userId: UserId, token: string): Promise<number> {
    this.detach();
    const attachment = new Attachment(userId, this);
    this.attachment = attachment;
    // Pinged from now on: a peer that stops reading during its replay cannot see the ping, so cannot answer it.
    // A connection already gone (a login that finished after its close) arms nothing.
    if (!this.pingTimer && !this.ended) this.heartbeat();
    const { detach, replayed } = await this.services.delivery.attach(userId, attachment).catch((error: unknown) => {
      // The delivery service has taken it out of the hub already.
      if (this.attachment === attachment) this.attachment = null;
      throw error;
    });
    attachment.detach = detach;
    // Left meanwhile (kicked), or the connection is gone (it may have gone before this began).
    if (this.attachment !== attachment || this.ended) {
      if (this.attachment === attachment) this.attachment = null;
      this.release(attachment);
      return replayed;
    }
    const { user, expiresAt } = await this.services.accounts.liveSession(token).catch((error: unknown) => {
      if (this.attachment === attachment) this.detach();
      throw error;
    });
    if (this.attachment === attachment) {
      attachment.identity = this.identity(token, user, expiresAt);
      this.meetLoginDeadline();
    }
    return replayed;
  }

  private detach(): void {
    const attachment = this.attachment;
    this.attachment = null;
    if (attachment) this.release(attachment);
  }

  /** Takes an attachment out of the hub; one still replaying is taken out by `attach` when the replay ends. */
  private release(attachment: Attachment): void {
    attachment.detach?.().catch((error: unknown) => this.log.warn({ err: error, peer: this.transport.peerIp }, 'detach failed'));
    attachment.detach = null;
  }

  private sendResponse(response: Response): void {
    try {
      this.send(response);
    } catch (error) {
      if (!(error instanceof WireError)) throw error;
      this.send(errorResponse(response.id, error.code, 'the response is larger than the frame limit'));
    }
  }

  /**
   * Sends an event, which the hub or a replay calls for: never throws into them. An event that
   * cannot be sent closes the connection; a delivery stays queued for the next attach.
   */
  private sendEvent(envelope: Event | Encoded, name = envelope.type === 'event' ? envelope.event : 'message', id = envelope.type === 'event' ? envelope.id : undefined): void {
    try {
      this.send(envelope);
    } catch (error) {
      this.log.error({ err: error, peer: this.transport.peerIp, event: name, id }, 'cannot send an event; closing the connection');
      this.closeReason ??= 'SEND_FAILED';
      this.close(true);
    }
  }

  /** Sends an envelope, and cuts off a peer that leaves too much unread, whatever the session is doing. */
  private send(envelope: Outgoing): void {
    if (!this.transport.open) return;
    this.transport.send(envelope);
    if (this.transport.bufferedBytes > this.limits.maxBufferedBytes) {
      this.logDisconnect('OUTPUT_LIMIT');
      this.close(false);
    }
  }

  /** Closes at once, answering nothing more: after what was sent has gone (within the close grace), or now. */
  private close(afterFlush: boolean): void {
    this.stopReading();
    if (afterFlush) this.graceTimer ??= setTimeout(() => this.transport.close(false), this.limits.closeGraceMs);
    this.transport.close(afterFlush);
    this.drained();
  }
}
