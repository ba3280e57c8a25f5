/** chatctl's exit statuses, as ARCHITECTURE.md and `chatctl --help` state them. */
export const EXIT = {
  OK: 0,
  REFUSED: 1,
  USAGE: 2,
  UNREACHABLE: 3,
  NOT_LOGGED_IN: 4,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

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
