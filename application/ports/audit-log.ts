/** One admin action: who did what to whom. */
export interface AuditEntry {
  readonly admin: string;
  readonly action: string;
  readonly target: string;
  readonly details?: Readonly<Record<string, unknown>>;
}

/** Where admin actions are recorded. Any structured logger with `info(fields, message)` can stand behind it. */
export interface AuditLog {
  record(entry: AuditEntry): void;
}

/** The least a structured logger offers (pino's does): enough to write audit lines to the server's log. */
export interface StructuredLogger {
  info(fields: object, message: string): void;
}
