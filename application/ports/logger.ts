/**
 * Where parley writes what happens: one structured line per call, its fields first. pino's
 * logger satisfies it, as does a small adapter over any other. Every option that takes one
 * is optional, and parley is silent when it is left out.
 */
export interface Logger {
  debug(fields: object, message: string): void;
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

const ignore = (): void => {};

/** The logger used when none is given: writes nothing. */
export const SILENT_LOGGER: Logger = { debug: ignore, info: ignore, warn: ignore, error: ignore };
