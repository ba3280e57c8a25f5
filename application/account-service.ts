import {
  assertNotBanned,
  assertWellFormedPassword,
  checkPasswordStrength,
  DomainError,
  parseNewUsername,
  parseUsername,
  type ChatMessage,
  type GroupRef,
  type User,
} from '../domain/index.js';
import { findUser } from './find-user.js';
import type { Clock } from './ports/clock.js';
import type { Delivery } from './ports/message-queue.js';
import type { LoginThrottle } from './ports/login-throttle.js';
import type { PasswordHasher } from './ports/password-hasher.js';
import type { SessionHub } from './ports/session-hub.js';
import type { TokenGenerator } from './ports/token-generator.js';
import type { Repositories, UnitOfWork } from './ports/unit-of-work.js';
import { viewOfUser, type UserView } from './views.js';

export interface LoginResult {
  readonly user: UserView;
  /** The session token: shown once, stored only as a hash. */
  readonly token: string;
  readonly welcome: string;
}

/** What a password change answers: the session token that replaced the old one. */
export interface PasswordChanged {
  readonly user: UserView;
  /** Shown once, stored only as a hash. */
  readonly token: string;
}

/** The user behind a live session token, and when that token stops working. */
export interface LiveSession {
  readonly user: User;
  readonly expiresAt: Date;
}

/**
 * How long a session token works after login, in seconds, unless the server says otherwise:
 * 30 days. ejabberd's OAuth tokens last about 50 days by default (`oauth_expire`); Synapse
 * leaves `session_lifetime` to the operator. A month lets a weekly user stay logged in while
 * a token copied from a stolen profile file dies within weeks.
 */
export const DEFAULT_TOKEN_LIFETIME_SECONDS = 30 * 24 * 60 * 60;

/** Registration, login, logout, token authentication, password changes and account deletion: one live session per user. */
export class AccountService {
  constructor(
    private readonly repositories: Repositories,
    private readonly unitOfWork: UnitOfWork,
    private readonly hasher: PasswordHasher,
    private readonly tokens: TokenGenerator,
    private readonly clock: Clock,
    private readonly sessions: SessionHub,
    private readonly throttle: LoginThrottle,
    /** How long a token works after it is issued; past that it is refused with TOKEN_EXPIRED. */
    private readonly tokenLifetimeMs = DEFAULT_TOKEN_LIFETIME_SECONDS * 1000,
  ) {}

  /**
   * Registers a user. `ip`, when given (a network peer; not an embedding host), is held to
   * the registrations per address before any hashing, since each one hashes a password.
   */
  async register(rawUsername: string, password: string, ip?: string): Promise<UserView> {
    const username = parseNewUsername(rawUsername);
    checkPasswordStrength(password);
    if (await this.repositories.users.byUsername(username)) {
      throw new DomainError('USERNAME_TAKEN', `the username ${username} is taken`);
    }
    const retryAfterMs = ip === undefined ? 0 : await this.throttle.registering(ip);
    if (retryAfterMs > 0) {
      const seconds = Math.ceil(retryAfterMs / 1000);
      throw new DomainError('RATE_LIMITED', `too many registrations from your address; try again in ${seconds} s`, { retryAfterMs });
    }
    const passwordHash = await this.hasher.hash(password);
    const user = await this.repositories.users.add({ username, passwordHash, createdAt: this.clock.now() });
    return viewOfUser(user);
  }

  /**
   * Checks the password (see `checkPassword`), issues a fresh token (replacing the old one,
   * which stops working) and kicks every connection still attached under the old session.
   */
  async login(rawUsername: string, password: string, ip: string): Promise<LoginResult> {
    const user = await this.checkPassword(rawUsername, password, ip);
    assertNotBanned(user);
    const token = this.tokens.generate();
    const at = this.clock.now();
    await this.unitOfWork.run(async ({ users, logins }) => {
      // A ban made while the password was being checked revoked the tokens then: issue none after it.
      const current = await users.byId(user.id);
      if (current) assertNotBanned(current);
      await users.setToken(user.id, { hash: this.tokens.hash(token), issuedAt: at });
      await logins.record({ userId: user.id, ip, at });
    });
    await this.sessions.kick(user.id, 'SESSION_REPLACED', 'you logged in somewhere else');
    return { user: viewOfUser(user), token, welcome: `welcome, ${user.username}` };
  }

  /**
   * Changes the user's own password, once their current one is checked as a login checks it
   * (a wrong one counts as a failed login). Issues a fresh token, which the answer carries:
   * every earlier token stops working and every attached connection of the user is kicked
   * with PASSWORD_CHANGED, so a session opened by whoever knew the old password ends.
   */
  async changePassword(user: User, currentPassword: string, newPassword: string, ip: string): Promise<PasswordChanged> {
    checkPasswordStrength(newPassword);
    await this.checkPassword(user.username, currentPassword, ip);
    const passwordHash = await this.hasher.hash(newPassword);
    const token = this.tokens.generate();
    await this.unitOfWork.run(async ({ users }) => {
      await users.setPasswordHash(user.id, passwordHash);
      await users.setToken(user.id, { hash: this.tokens.hash(token), issuedAt: this.clock.now() });
    });
    await this.sessions.kick(user.id, 'PASSWORD_CHANGED', 'your password was changed: log in again with the new one');
    return { user: viewOfUser(user), token };
  }

  /**
   * Gives the user a new random password and answers it (to be handed over once): their
   * token is revoked and their connections are kicked with PASSWORD_CHANGED. For an admin.
   */
  async resetPassword(target: User): Promise<string> {
    const password = this.tokens.generate();
    const passwordHash = await this.hasher.hash(password);
    await this.unitOfWork.run(async ({ users }) => {
      await users.setPasswordHash(target.id, passwordHash);
      await users.setToken(target.id, null);
    });
    await this.sessions.kick(target.id, 'PASSWORD_CHANGED', 'an admin reset your password: ask them for the new one');
    return password;
  }

  /** Deletes the user's own account, once their password is checked as a login checks it: see `remove`. */
  async deleteOwnAccount(user: User, password: string, ip: string): Promise<UserView> {
    await this.checkPassword(user.username, password, ip);
    await this.remove(user, user);
    return viewOfUser(user);
  }

  /**
   * Deletes an account (`by` is the user themself or an admin), in one transaction: the groups
   * it created are deleted and their other members told, as `delgroup` tells them; its
   * memberships elsewhere, friendships (both sides), queue and session go without a notice.
   * Messages it sent that wait in others' queues stay and arrive under its name. The username
   * is free to register again. Its attached connections are kicked with ACCOUNT_DELETED.
   */
  async remove(target: User, by: User): Promise<void> {
    const queued = await this.unitOfWork.run(async ({ users, groups, messages }) => {
      if (!(await users.byId(target.id))) throw new DomainError('UNKNOWN_USER', `there is no user called ${target.username}`);
      const notices: Delivery[] = [];
      for (const { group } of await groups.groupsOf(target.id)) {
        if (group.creatorId !== target.id) {
          await groups.removeMember(group.id, target.id);
          continue;
        }
        const ref: GroupRef = { id: group.id, name: group.name, creator: target.username };
        const text = `${target.username}'s account was deleted, and with it the group "${ref.name}"`;
        const notice: ChatMessage = { kind: 'notice', topic: 'group-deleted', from: { id: by.id, username: by.username }, group: ref, text, sentAt: this.clock.now() };
        for (const member of await groups.members(group.id)) {
          if (member.userId !== target.id) notices.push({ recipientId: member.userId, message: notice });
        }
        await groups.remove(group.id);
      }
      // Queued before the user goes: a notice's sender must exist when it is stored.
      const stored = await messages.enqueue(notices);
      await users.remove(target.id);
      return stored;
    });
    await this.sessions.deliver(queued);
    const message = by.id === target.id ? 'you deleted your account' : 'an admin deleted your account';
    await this.sessions.kick(target.id, 'ACCOUNT_DELETED', message);
  }

  /** Ends the session server-side: the token stops working and attached connections are kicked. */
  async logout(token: string | undefined): Promise<void> {
    const user = await this.authenticate(token);
    await this.repositories.users.setToken(user.id, null);
    await this.sessions.kick(user.id, 'LOGGED_OUT', 'you logged out');
  }

  /** The user behind a live session token; refuses missing, ended, expired and banned sessions. */
  async authenticate(token: string | undefined): Promise<User> {
    return (await this.liveSession(token)).user;
  }

  /** `authenticate`, also saying when the token expires, for a connection that remembers who it serves. */
  async liveSession(token: string | undefined): Promise<LiveSession> {
    if (!token) throw new DomainError('NOT_AUTHENTICATED', 'log in first');
    const holder = await this.repositories.users.byTokenHash(this.tokens.hash(token));
    if (!holder) {
      throw new DomainError('SESSION_EXPIRED', 'your session has ended (logged out, logged in elsewhere, or banned); log in again');
    }
    const expiresAt = new Date(holder.issuedAt.getTime() + this.tokenLifetimeMs);
    if (this.clock.now() >= expiresAt) {
      throw new DomainError('TOKEN_EXPIRED', `your login has expired (tokens last ${formatLifetime(this.tokenLifetimeMs)}); log in again`);
    }
    assertNotBanned(holder.user);
    return { user: holder.user, expiresAt };
  }

  /**
   * The user `rawUsername` names, if `password` is theirs. Refuses with `RATE_LIMITED` (and
   * `retryAfterMs`) after too many failures for the account or from the address, before
   * hashing anything: the hash is the cost a guesser would make the server pay. A failure
   * (no such user, wrong password) is counted; a success makes `ip` one the account is known at.
   */
  private async checkPassword(rawUsername: string, password: string, ip: string): Promise<User> {
    assertWellFormedPassword(password);
    const username = parseUsername(rawUsername);
    const delay = await this.throttle.delay(username, ip);
    if (delay) {
      const seconds = Math.ceil(delay.retryAfterMs / 1000);
      const from = delay.limit === 'account' ? `for ${username}` : 'from your address';
      throw new DomainError('RATE_LIMITED', `too many failed logins ${from}; try again in ${seconds} s`, { retryAfterMs: delay.retryAfterMs });
    }
    // Read in a unit of work, so from storage itself: an operator may have changed the user on the database (promote).
    const user = await this.unitOfWork.run(({ users }) => findUser(users, username)).catch(async (error: unknown) => {
      if (error instanceof DomainError) await this.throttle.failed(username, ip); // UNKNOWN_USER
      throw error;
    });
    if (!(await this.hasher.verify(password, user.passwordHash))) {
      await this.throttle.failed(username, ip);
      throw new DomainError('WRONG_PASSWORD', 'wrong password');
    }
    await this.throttle.succeeded(username, ip);
    return user;
  }

  /** Operator bootstrap, straight on the storage: makes a user an admin, or stops them being one. */
  async promote(rawUsername: string, isAdmin: boolean): Promise<UserView> {
    const user = await findUser(this.repositories.users, rawUsername);
    await this.repositories.users.setAdmin(user.id, isAdmin);
    return viewOfUser({ ...user, isAdmin });
  }
}

/** A lifetime as people say it: whole days when it is at least one, else seconds. */
function formatLifetime(ms: number): string {
  const days = ms / 86_400_000;
  return days >= 1 && Number.isInteger(days) ? `${days} day${days === 1 ? '' : 's'}` : `${ms / 1000} s`;
}
