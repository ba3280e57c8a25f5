import type { ServiceIdentifierFor } from './service-identifier.js';
import type { AuditLog } from './audit-log.js';
import type { Clock } from './clock.js';
import type { LoginThrottle } from './login-throttle.js';
import type { PasswordHasher } from './password-hasher.js';
import type { SessionHub } from './session-hub.js';
import type { TokenGenerator } from './token-generator.js';
import type { Repositories, UnitOfWork } from './unit-of-work.js';

/** One typed symbol per port, for whatever container wires the adapters. */
export const TOKENS = {
  UnitOfWork: Symbol.for('parley.UnitOfWork') as ServiceIdentifierFor<UnitOfWork>,
  Repositories: Symbol.for('parley.Repositories') as ServiceIdentifierFor<Repositories>,
  PasswordHasher: Symbol.for('parley.PasswordHasher') as ServiceIdentifierFor<PasswordHasher>,
  TokenGenerator: Symbol.for('parley.TokenGenerator') as ServiceIdentifierFor<TokenGenerator>,
  Clock: Symbol.for('parley.Clock') as ServiceIdentifierFor<Clock>,
  SessionHub: Symbol.for('parley.SessionHub') as ServiceIdentifierFor<SessionHub>,
  AuditLog: Symbol.for('parley.AuditLog') as ServiceIdentifierFor<AuditLog>,
  LoginThrottle: Symbol.for('parley.LoginThrottle') as ServiceIdentifierFor<LoginThrottle>,
} as const;
