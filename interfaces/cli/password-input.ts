import { text } from 'node:stream/consumers';
import { CliError, EXIT } from './exit-codes.js';

/** Reads a password from standard input for scripts: everything up to the end, less one trailing newline. */
export async function readPasswordFromStdin(): Promise<string> {
  const input = (await text(process.stdin)).replace(/\r?\n$/, '');
  if (input.length === 0) throw new CliError(EXIT.USAGE, 'no password on standard input');
  return input;
}

/**
 * Reads `count` passwords from standard input for scripts, one per line (so none of them may
 * hold a newline): `chatctl passwd --password-stdin` reads the current one, then the new one.
 */
export async function readPasswordLinesFromStdin(count: number): Promise<string[]> {
  const lines = (await text(process.stdin)).replace(/\r?\n$/, '').split(/\r?\n/);
  if (lines.length !== count || lines.some((line) => line.length === 0)) {
    throw new CliError(EXIT.USAGE, `expected ${count} passwords on standard input, one per line`);
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
