import 'reflect-metadata';
import { Container, ContainerModule } from 'inversify';
import { AccountService, DEFAULT_TOKEN_LIFETIME_SECONDS } from './application/account-service.js';
import { AdminService } from './application/admin-service.js';
import type { AuditLog } from './application/ports/audit-log.js';
import type { ChatApp } from './application/chat-app.js';
import { DEFAULT_MAX_QUEUED_PER_USER, DeliveryService } from './application/delivery-service.js';
import { FriendService } from './application/friend-service.js';
import { GroupService } from './application/group-service.js';
import { MessagingService } from './application/messaging-service.js';
import { PresenceService } from './application/presence-service.js';
import { MAX_PAGE_SIZE } from './application/paging.js';
import type { Clock } from './application/ports/clock.js';
import { SILENT_LOGGER, type Logger } from './application/ports/logger.js';
import { DEFAULT_LOGIN_THROTTLE_LIMITS, type LoginThrottle, type LoginThrottleLimits } from './application/ports/login-throttle.js';
import type { PasswordHasher } from './application/ports/password-hasher.js';
import type { SessionHub } from './application/ports/session-hub.js';
import type { TokenGenerator } from './application/ports/token-generator.js';
import type { Repositories, UnitOfWork } from './application/ports/unit-of-work.js';
import type { ServiceIdentifierFor } from './application/ports/service-identifier.js';
import { TOKENS } from './application/ports/tokens.js';
import { UserHandle } from './application/user-handle.js';
import { LoggerAuditLog } from './infrastructure/logger-audit-log.js';
import { InMemoryLoginThrottle } from './infrastructure/memory/in-memory-login-throttle.js';
import { openSessionHub } from './infrastructure/open-session-hub.js';
import { RandomTokenGenerator } from './infrastructure/random-token-generator.js';
import { ScryptPasswordHasher, type ScryptCost } from './infrastructure/scrypt-password-hasher.js';
import { openStorage, type Storage } from './infrastructure/storage.js';
import { SystemClock } from './infrastructure/system-clock.js';

const SERVICES = {
  AccountService: Symbol.for('parley.AccountService') as ServiceIdentifierFor<AccountService>,
  AdminService: Symbol.for('parley.AdminService') as ServiceIdentifierFor<AdminService>,
  DeliveryService: Symbol.for('parley.DeliveryService') as ServiceIdentifierFor<DeliveryService>,
  FriendService: Symbol.for('parley.FriendService') as ServiceIdentifierFor<FriendService>,
  GroupService: Symbol.for('parley.GroupService') as ServiceIdentifierFor<GroupService>,
  MessagingService: Symbol.for('parley.MessagingService') as ServiceIdentifierFor<MessagingService>,
  PresenceService: Symbol.for('parley.PresenceService') as ServiceIdentifierFor<PresenceService>,
} as const;

/** Plain values the options set for the services. */
const SETTINGS = {
  TokenLifetimeMs: Symbol.for('parley.TokenLifetimeMs') as ServiceIdentifierFor<number>,
  MaxPageSize: Symbol.for('parley.MaxPageSize') as ServiceIdentifierFor<number>,
  MaxQueuedPerUser: Symbol.for('parley.MaxQueuedPerUser') as ServiceIdentifierFor<number>,
  Logger: Symbol.for('parley.Logger') as ServiceIdentifierFor<Logger>,
} as const;

export interface ChatAppOptions {
  /** Where the data lives: `sqlite:<path>`, `postgres://user@host:port/database`, or `memory`. No default: a library creates no files unasked. */
  readonly storage: string;
  /** Where sessions meet: `in-process` (the default, one server process) or `redis://host:port` (several sharing one Redis). */
  readonly hub?: string;
  /** With a Redis hub: how long a dead node's users stay counted online, in milliseconds (default 15 s). */
  readonly presenceTimeoutMs?: number;
  /**
   * How long a user must stay without any connection before their friends are told they went
   * offline, in milliseconds (default 5 s); coming back sooner announces nothing.
   */
  readonly presenceGraceMs?: number;
  /** With a Redis hub: put before every key and channel (default `parley:`), so deployments or test runs can share one Redis. */
  readonly hubPrefix?: string;
  /** Where admin actions and session hub outages are logged (pino's logger will do); silent when left out. */
  readonly logger?: Logger;
  /** Most deliveries that may wait for one user before sends to them are refused (QUEUE_FULL); default 10 000. */
  readonly maxQueuedPerUser?: number;
  /** How long a statement waits for a lock (and on PostgreSQL for a connection) before the request answers TRY_AGAIN (STORAGE_UNAVAILABLE); default 5 s. */
  readonly busyTimeoutMs?: number;
  /** Most connections to a PostgreSQL database; default 10. */
  readonly maxDbConnections?: number;
  /** Lower only in tests: the cost of each password hash. */
  readonly scryptCost?: ScryptCost;
  /** How long a session token works after login, in milliseconds (default 30 days); then TOKEN_EXPIRED. */
  readonly tokenLifetimeMs?: number;
  /** The most rows one page of a listing may hold: 1 to MAX_PAGE_SIZE, which is the default. */
  readonly maxPageSize?: number;
  /** How many failed logins, per account and per address, before guessing is slowed. */
  readonly loginThrottle?: Partial<LoginThrottleLimits>;
}

/** The storage adapter family, whichever backend `storage` chose. */
function storageModule(storage: Storage): ContainerModule {
  return new ContainerModule(({ bind }) => {
    bind(TOKENS.Repositories).toConstantValue(storage.repositories);
    bind(TOKENS.UnitOfWork).toConstantValue(storage.unitOfWork);
  });
}

function runtimeModule(options: ChatAppOptions, storage: Storage, hub: SessionHub): ContainerModule {
  // A session that ends anywhere (another process too, with a networked hub) is forgotten by this one's cache.
  hub.onSessionEnded((userId) => storage.caches?.forgetUser(userId));
  return new ContainerModule(({ bind }) => {
    bind(TOKENS.PasswordHasher).toConstantValue(new ScryptPasswordHasher(options.scryptCost));
    bind(TOKENS.TokenGenerator).toConstantValue(new RandomTokenGenerator());
    bind(TOKENS.Clock).toConstantValue(new SystemClock());
    bind(TOKENS.SessionHub).toConstantValue(hub);
    bind(TOKENS.AuditLog).toConstantValue(new LoggerAuditLog(options.logger ?? SILENT_LOGGER));
    bind(SETTINGS.TokenLifetimeMs).toConstantValue(options.tokenLifetimeMs ?? DEFAULT_TOKEN_LIFETIME_SECONDS * 1000);
    bind(SETTINGS.MaxPageSize).toConstantValue(options.maxPageSize ?? MAX_PAGE_SIZE);
    bind(SETTINGS.MaxQueuedPerUser).toConstantValue(options.maxQueuedPerUser ?? DEFAULT_MAX_QUEUED_PER_USER);
    bind(SETTINGS.Logger).toConstantValue(options.logger ?? SILENT_LOGGER);
    bind(TOKENS.LoginThrottle).toConstantValue(new InMemoryLoginThrottle({ ...DEFAULT_LOGIN_THROTTLE_LIMITS, ...options.loginThrottle }));
  });
}

const servicesModule = new ContainerModule(({ bind }) => {
  bind(SERVICES.AccountService)
    .toResolvedValue(
      (
        repositories: Repositories,
        unitOfWork: UnitOfWork,
        hasher: PasswordHasher,
        tokens: TokenGenerator,
        clock: Clock,
        sessions: SessionHub,
        throttle: LoginThrottle,
        tokenLifetimeMs: number,
      ) =>
        new AccountService(repositories, unitOfWork, hasher, tokens, clock, sessions, throttle, tokenLifetimeMs),
      [
        TOKENS.Repositories,
        TOKENS.UnitOfWork,
        TOKENS.PasswordHasher,
        TOKENS.TokenGenerator,
        TOKENS.Clock,
        TOKENS.SessionHub,
        TOKENS.LoginThrottle,
        SETTINGS.TokenLifetimeMs,
      ],
    )
    .inSingletonScope();
  bind(SERVICES.DeliveryService)
    .toResolvedValue(
      (repositories: Repositories, sessions: SessionHub, maxQueuedPerUser: number) => new DeliveryService(repositories, sessions, maxQueuedPerUser),
      [TOKENS.Repositories, TOKENS.SessionHub, SETTINGS.MaxQueuedPerUser],
    )
    .inSingletonScope();
  bind(SERVICES.FriendService)
    .toResolvedValue(
      (repositories: Repositories, delivery: DeliveryService, sessions: SessionHub, clock: Clock, maxPageSize: number) =>
        new FriendService(repositories, delivery, sessions, clock, maxPageSize),
      [TOKENS.Repositories, SERVICES.DeliveryService, TOKENS.SessionHub, TOKENS.Clock, SETTINGS.MaxPageSize],
    )
    .inSingletonScope();
  bind(SERVICES.GroupService)
    .toResolvedValue(
      (repositories: Repositories, unitOfWork: UnitOfWork, delivery: DeliveryService, sessions: SessionHub, clock: Clock, maxPageSize: number) =>
        new GroupService(repositories, unitOfWork, delivery, sessions, clock, maxPageSize),
      [TOKENS.Repositories, TOKENS.UnitOfWork, SERVICES.DeliveryService, TOKENS.SessionHub, TOKENS.Clock, SETTINGS.MaxPageSize],
    )
    .inSingletonScope();
  bind(SERVICES.AdminService)
    .toResolvedValue(
      (
        repositories: Repositories,
        groups: GroupService,
        accounts: AccountService,
        delivery: DeliveryService,
        sessions: SessionHub,
        clock: Clock,
        audit: AuditLog,
        maxPageSize: number,
      ) => new AdminService(repositories, groups, accounts, delivery, sessions, clock, audit, maxPageSize),
      [TOKENS.Repositories, SERVICES.GroupService, SERVICES.AccountService, SERVICES.DeliveryService, TOKENS.SessionHub, TOKENS.Clock, TOKENS.AuditLog, SETTINGS.MaxPageSize],
    )
    .inSingletonScope();
  bind(SERVICES.MessagingService)
    .toResolvedValue(
      (repositories: Repositories, delivery: DeliveryService, clock: Clock) => new MessagingService(repositories, delivery, clock),
      [TOKENS.Repositories, SERVICES.DeliveryService, TOKENS.Clock],
    )
    .inSingletonScope();
  bind(SERVICES.PresenceService)
    .toResolvedValue(
      (repositories: Repositories, sessions: SessionHub, logger: Logger) => new PresenceService(repositories, sessions, logger),
      [TOKENS.Repositories, TOKENS.SessionHub, SETTINGS.Logger],
    )
    .inSingletonScope();
});

function get<T>(container: Container, id: ServiceIdentifierFor<T>): T {
  return container.get<T>(id);
}

/** Builds a fresh container, and so a fresh application, each call: a host may run several side by side. */
export async function createChatApp(options: ChatAppOptions): Promise<ChatApp> {
  // Checked at run time too, for callers in plain JavaScript.
  if (typeof options?.storage !== 'string' || options.storage === '') {
    throw new TypeError("createChatApp needs options.storage: 'sqlite:<path>', 'postgres://…' or 'memory'");
  }
  // The hub first: an unreachable Redis is refused before any database file is made.
  const hub = await openSessionHub(options.hub, {
    presenceTimeoutMs: options.presenceTimeoutMs,
    presenceGraceMs: options.presenceGraceMs,
    prefix: options.hubPrefix,
    logger: options.logger,
  });
  // With a shared hub, other processes write the same database (even a SQLite file on one machine).
  const shared = (options.hub ?? 'in-process') !== 'in-process';
  const storage = await openStorage(options.storage, {
    busyTimeoutMs: options.busyTimeoutMs,
    maxConnections: options.maxDbConnections,
    ...(shared ? { shared } : {}),
  }).catch(async (error: unknown) => {
    await hub.close();
    throw error;
  });
  const container = new Container();
  container.load(storageModule(storage), runtimeModule(options, storage, hub.hub), servicesModule);
  const services = {
    accounts: get(container, SERVICES.AccountService),
    admin: get(container, SERVICES.AdminService),
    delivery: get(container, SERVICES.DeliveryService),
    friends: get(container, SERVICES.FriendService),
    groups: get(container, SERVICES.GroupService),
    messaging: get(container, SERVICES.MessagingService),
    presence: get(container, SERVICES.PresenceService),
  };
  const handles = { ...services, users: storage.repositories.users, unitOfWork: storage.unitOfWork };
  return {
    ...services,
    as: (user) => UserHandle.open(handles, user),
    close: async () => {
      await storage.close();
      await hub.close();
    },
  };
}
