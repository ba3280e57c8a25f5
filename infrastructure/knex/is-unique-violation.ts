/**
 * Whether a driver error is a unique or primary-key violation on exactly these columns of
 * `table`, as SQLite ("UNIQUE constraint failed: groups.name, groups.creator_id") or
 * PostgreSQL (code 23505, with the table and "Key (name, creator_id)=…" in its detail) reports it.
 */
export function isUniqueViolation(error: unknown, table: string, columns: readonly string[]): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { code, message, table: pgTable, detail } = error as { code?: unknown; message?: unknown; table?: unknown; detail?: unknown };
  if (code === '23505') {
    return pgTable === table && typeof detail === 'string' && detail.startsWith(`Key (${columns.join(', ')})=`);
  }
  const failed = `UNIQUE constraint failed: ${columns.map((column) => `${table}.${column}`).join(', ')}`;
  return typeof code === 'string' && code.startsWith('SQLITE_CONSTRAINT') && typeof message === 'string' && message.endsWith(failed);
}
