import {
  assertNotBanned,
  checkPasswordStrength,
  DomainError,
  parseUsername,
  type User,
} from '../domain/index.js';
import { findUser } from './find-user.js';
import type { Clock } from './ports/clock.js';
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

/** Registration, login, logout and token authentication: one live session per user. */
export class AccountService {
  constructor(
    private readonly repositories: Repositories,
    private readonly unitOfWork: UnitOfWork,
    private readonly hasher: PasswordHasher,
    private readonly tokens: TokenGenerator,
    private readonly clock: Clock,
    private readonly sessions: SessionHub,
    private readonly throttle: LoginThrottle,
  ) {}

  async register(rawUsername: string, password: string): Promise<UserView> {
    const username = parseUsername(rawUsername);
    checkPasswordStrength(password);
    if (await this.repositories.users.byUsername(username)) {
      throw new DomainError('USERNAME_TAKEN', `the username ${username} is taken`);
    }
    const passwordHash = await this.hasher.hash(password);
    const user = await this.repositories.users.add({ username, passwordHash, createdAt: this.clock.now() });
    return viewOfUser(user);
  }

  /**
   * Checks the password, issues a fresh token (replacing the old one, which stops working)
   * and kicks every connection still attached under the old session. Refuses with
   * `RATE_LIMITED` (and `retryAfterMs`) after too many failures for the account or from the
   * address, before hashing anything: the hash is the cost a guesser would make the server pay.
   */
  async login(rawUsername: string, password: string, ip: string): Promise<LoginResult> {
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
    assertNotBanned(user);
    await this.throttle.succeeded(username, ip);
    const token = this.tokens.generate();
    const at = this.clock.now();
    await this.unitOfWork.run(async ({ users, logins }) => {
      await users.setTokenHash(user.id, this.tokens.hash(token));
      await logins.record({ userId: user.id, ip, at });
    });
    await this.sessions.kick(user.id, 'SESSION_REPLACED', 'you logged in somewhere else');
    return { user: viewOfUser(user), token, welcome: `welcome, ${user.username}` };
  }

  /** Ends the session server-side: the token stops working and attached connections are kicked. */
  async logout(token: string | undefined): Promise<void> {
    const user = await this.authenticate(token);
    await this.repositories.users.setTokenHash(user.id, null);
    await this.sessions.kick(user.id, 'LOGGED_OUT', 'you logged out');
  }

  /** The user behind a live session token; refuses missing, stale and banned sessions. */
  async authenticate(token: string | undefined): Promise<User> {
    if (!token) throw new DomainError('NOT_AUTHENTICATED', 'log in first');
    const user = await this.repositories.users.byTokenHash(this.tokens.hash(token));
    if (!user) {
      throw new DomainError('SESSION_EXPIRED', 'your session has ended (logged out, or logged in elsewhere); log in again');
    }
    assertNotBanned(user);
    return user;
  }

  /** Operator bootstrap, straight on the storage: makes a user an admin, or stops them being one. */
  async promote(rawUsername: string, isAdmin: boolean): Promise<UserView> {
    const user = await findUser(this.repositories.users, rawUsername);
    await this.repositories.users.setAdmin(user.id, isAdmin);
    return viewOfUser({ ...user, isAdmin });
  }
}
