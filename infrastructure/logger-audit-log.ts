import type { AuditEntry, AuditLog, StructuredLogger } from '../application/ports/audit-log.js';

/** Audit entries as structured log lines: `{"audit":true,"admin":…,"action":…,"target":…}`. */
export class LoggerAuditLog implements AuditLog {
  constructor(private readonly logger: StructuredLogger) {}

  record(entry: AuditEntry): void {
    this.logger.info({ audit: true, ...entry }, `admin ${entry.admin}: ${entry.action} ${entry.target}`);
  }
}
