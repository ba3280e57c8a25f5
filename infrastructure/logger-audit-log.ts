import type { AuditEntry, AuditLog } from '../application/ports/audit-log.js';
import type { Logger } from '../application/ports/logger.js';

/** Audit entries as structured log lines: `{"audit":true,"admin":…,"action":…,"target":…}`. */
export class LoggerAuditLog implements AuditLog {
  constructor(private readonly logger: Logger) {}

  record(entry: AuditEntry): void {
    this.logger.info({ audit: true, ...entry }, `admin ${entry.admin}: ${entry.action} ${entry.target}`);
  }
}
