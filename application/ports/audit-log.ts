/** One admin action: who did what to whom. */
export interface AuditEntry {
  readonly admin: string;
  readonly action: string;
  readonly target: string;
  readonly details?: Readonly<Record<string, unknown>>;
}

/** Where admin actions are recorded; the server writes them to its log. */
export interface AuditLog {
  record(entry: AuditEntry): void;
}
