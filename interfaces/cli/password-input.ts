import { text } from 'node:stream/consumers';
import { CliError, EXIT } from './exit-codes.js';

/** Reads a password from standard input for scripts: one line (a second line is refused rather than taken into the password). */
export async function readPasswordFromStdin(): Promise<string> {
  const [password] = await readPasswordLinesFromStdin(1);
  return password!;
}

/**
 * Reads `count` passwords from standard input for scripts, one per line (so none of them may
 * hold a newline): `chatctl passwd --password-stdin` reads the current one, then the new one.
 */
export async function readPasswordLinesFromStdin(count: number): Promise<string[]> {
  const input = (await text(process.stdin)).replace(/\r?\n$/, '');
  if (input.length === 0) throw new CliError(EXIT.USAGE, 'no password on standard input');
  const lines = input.split(/\r?\n/);
  if (lines.length !== count || lines.some((line) => line.length === 0)) {
    throw new CliError(EXIT.USAGE, count === 1 ? 'expected one password on standard input, on one line' : `expected ${count} passwords on standard input, one per line`);
  }
  return lines;
}

/** Asks on the terminal without echo; refuses when there is no terminal to ask on. */
export async function askPassword(message: string): Promise<string> {
  if (!process.stdin.isTTY) {
    throw new CliError(EXIT.USAGE, 'no terminal to ask for the password on: pass --password-stdin and pipe it in');
  }
  const { default: password } = await import('@inquirer/password');
  return password({ message, mask: false });
}
