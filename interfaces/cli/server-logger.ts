import { pino, type Logger } from 'pino';
import pretty from 'pino-pretty';

/** Where and how the server (and `promote`'s audit line) logs. */
export interface LogSettings {
  readonly level?: string;
  /** `pretty` for people, `json` for programs, `auto`: pretty on a terminal, JSON otherwise. */
  readonly format?: string;
  /** A file to append to; standard error when left out. */
  readonly file?: string | undefined;
}

/**
 * The operator's logger: JSON lines (one object each, for journald, Loki or fail2ban), or
 * pino-pretty's coloured lines when a person is watching a terminal. A log file is created
 * readable by its owner only: it names users and their addresses.
 */
export function serverLogger({ level = 'info', format = 'auto', file }: LogSettings): Logger {
  const options = { name: 'parley', level };
  const terminal = file === undefined && process.stderr.isTTY;
  const destination = pino.destination({ dest: file ?? 2, sync: true, append: true, mkdir: true, mode: 0o600 });
  if (format === 'pretty' || (format === 'auto' && terminal)) return pino(options, pretty({ destination, sync: true, colorize: terminal }));
  return pino(options, destination);
}
