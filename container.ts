import 'reflect-metadata';
import { Container, ContainerModule } from 'inversify';
import { AccountService } from './application/account-service.js';
import { AdminService } from './application/admin-service.js';
import type { AuditLog, StructuredLogger } from './application/ports/audit-log.js';
import type { ChatApp } from './application/chat-app.js';
import { DeliveryService } from './application/delivery-service.js';
import { FriendService } from './application/friend-service.js';
import { GroupService } from './application/group-service.js';
import { MessagingService } from './application/messaging-service.js';
import type { Clock } from './application/ports/clock.js';
import { DEFAULT_LOGIN_THROTTLE_LIMITS, type LoginThrottle, type LoginThrottleLimits } from './application/ports/login-throttle.js';
import type { PasswordHasher } from './application/ports/password-hasher.js';
import type { SessionHub } from './application/ports/session-hub.js';
import type { TokenGenerator } from './application/ports/token-generator.js';
import type { Repositories, UnitOfWork } from './application/ports/unit-of-work.js';
import type { ServiceIdentifierFor } from './application/ports/service-identifier.js';
import { TOKENS } from './application/ports/tokens.js';
import { InProcessSessionHub } from './infrastructure/in-process-session-hub.js';
import { LoggerAuditLog } from './infrastructure/logger-audit-log.js';
import { InMemoryLoginThrottle } from './infrastructure/memory/in-memory-login-throttle.js';
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
} as const;

export interface ChatAppOptions {
  /** `sqlite:<path>` (the default, `sqlite:data/chat.sqlite`) or `memory`. */
  readonly storage?: string;
  /** Where admin actions are logged; the server passes its own logger. Silent when left out. */
  readonly logger?: StructuredLogger;
  /** Lower only in tests: the cost of each password hash. */
  readonly scryptCost?: ScryptCost;
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

function runtimeModule(options: ChatAppOptions, storage: Storage): ContainerModule {
  const hub = new InProcessSessionHub();
  // A session that ends anywhere (another process too, with a networked hub) is forgotten by this one's cache.
  hub.onSessionEnded((userId) => storage.caches?.forgetUser(userId));
  return new ContainerModule(({ bind }) => {
    bind(TOKENS.PasswordHasher).toConstantValue(new ScryptPasswordHasher(options.scryptCost));
    bind(TOKENS.TokenGenerator).toConstantValue(new RandomTokenGenerator());
    bind(TOKENS.Clock).toConstantValue(new SystemClock());
    bind(TOKENS.SessionHub).toConstantValue(hub);
    bind(TOKENS.AuditLog).toConstantValue(new LoggerAuditLog(options.logger ?? { info: () => {} }));
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
      ) =>
        new AccountService(repositories, unitOfWork, hasher, tokens, clock, sessions, throttle),
      [TOKENS.Repositories, TOKENS.UnitOfWork, TOKENS.PasswordHasher, TOKENS.TokenGenerator, TOKENS.Clock, TOKENS.SessionHub, TOKENS.LoginThrottle],
    )
    .inSingletonScope();
  bind(SERVICES.DeliveryService)
    .toResolvedValue(
      (repositories: Repositories, sessions: SessionHub) => new DeliveryService(repositories, sessions),
      [TOKENS.Repositories, TOKENS.SessionHub],
    )
    .inSingletonScope();
  bind(SERVICES.FriendService)
    .toResolvedValue(
      (repositories: Repositories, delivery: DeliveryService, sessions: SessionHub, clock: Clock) =>
        new FriendService(repositories, delivery, sessions, clock),
      [TOKENS.Repositories, SERVICES.DeliveryService, TOKENS.SessionHub, TOKENS.Clock],
    )
    .inSingletonScope();
  bind(SERVICES.GroupService)
    .toResolvedValue(
      (repositories: Repositories, unitOfWork: UnitOfWork, delivery: DeliveryService, sessions: SessionHub, clock: Clock) =>
        new GroupService(repositories, unitOfWork, delivery, sessions, clock),
      [TOKENS.Repositories, TOKENS.UnitOfWork, SERVICES.DeliveryService, TOKENS.SessionHub, TOKENS.Clock],
    )
    .inSingletonScope();
  bind(SERVICES.AdminService)
    .toResolvedValue(
      (repositories: Repositories, groups: GroupService, delivery: DeliveryService, sessions: SessionHub, clock: Clock, audit: AuditLog) =>
        new AdminService(repositories, groups, delivery, sessions, clock, audit),
      [TOKENS.Repositories, SERVICES.GroupService, SERVICES.DeliveryService, TOKENS.SessionHub, TOKENS.Clock, TOKENS.AuditLog],
    )
    .inSingletonScope();
  bind(SERVICES.MessagingService)
    .toResolvedValue(
      (repositories: Repositories, delivery: DeliveryService, clock: Clock) => new MessagingService(repositories, delivery, clock),
      [TOKENS.Repositories, SERVICES.DeliveryService, TOKENS.Clock],
    )
    .inSingletonScope();
});

function get<T>(container: Container, id: ServiceIdentifierFor<T>): T {
  return container.get<T>(id);
}

/** Builds a fresh container, and so a fresh application, each call: a host may run several side by side. */
export async function createChatApp(options: ChatAppOptions = {}): Promise<ChatApp> {
  const storage = await openStorage(options.storage ?? 'sqlite:data/chat.sqlite');
  const container = new Container();
  container.load(storageModule(storage), runtimeModule(options, storage), servicesModule);
  return {
    accounts: get(container, SERVICES.AccountService),
    admin: get(container, SERVICES.AdminService),
    delivery: get(container, SERVICES.DeliveryService),
    friends: get(container, SERVICES.FriendService),
    groups: get(container, SERVICES.GroupService),
    messaging: get(container, SERVICES.MessagingService),
    close: () => storage.close(),
  };
}
