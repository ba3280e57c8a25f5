/** chatctl's exit statuses, as ARCHITECTURE.md and `chatctl --help` state them. */
export const EXIT = {
  OK: 0,
  REFUSED: 1,
  USAGE: 2,
  UNREACHABLE: 3,
  NOT_LOGGED_IN: 4,
  /** Ctrl-C (SIGINT), 128 + 2 as shells report a command a SIGINT ended. */
  INTERRUPTED: 130,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** Every exit status in one sentence, for `--help`'s epilogue (README.md says the same). */
export const EXIT_STATUSES =
  '0 done, 1 refused by the server, 2 bad usage (or no database at the --db path), 3 server unreachable, not answering in time or protocol error, ' +
  '4 not logged in or session replaced, 130 interrupted by Ctrl-C (serve and listen stop cleanly on it, with 0); ' +
  'a piped `chatctl shell` exits with the status of its first failed line';

/** A failure the CLI reports as one line and an exit status. */
export class CliError extends Error {
  constructor(
    readonly exitCode: ExitCode,
    message: string,
    readonly code = 'CLI_ERROR',
  ) {
    super(message);
  }
}
