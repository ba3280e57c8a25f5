import type { Argv } from 'yargs';
import { MESSAGE_MAX_LENGTH } from '../../domain/index.js';
import { CliError, EXIT } from './exit-codes.js';
import { STDIN_MESSAGE_FLAG } from './usage-errors.js';

/** The most bytes a message of MESSAGE_MAX_LENGTH characters takes in UTF-8, and a line break. */
const MAX_STDIN_BYTES = MESSAGE_MAX_LENGTH * 4 + 2;

/** The text positional of send, sendgroup, adminsend and adminsendgroup, and `--stdin` (or `-`) in its place. */
export function messageArguments<T>(yargs: Argv<T>) {
  return yargs
    .positional('message', { type: 'string', array: true, describe: 'The text; the words are joined with spaces. After `--` nothing is an option' })
    .option(STDIN_MESSAGE_FLAG.slice(2), { type: 'boolean', default: false, describe: `Read the text from standard input instead (also \`-\`), at most ${MESSAGE_MAX_LENGTH} characters` })
    // This replaces the whole configuration, so it repeats run-cli's `populate--`: the words after `--` are the text's.
    .parserConfiguration({ 'parse-numbers': false, 'parse-positional-numbers': false, 'populate--': true });
}

/** Standard input up to its end, less one trailing line break; refused once it is longer than a message may be. */
async function readMessageFromStdin(): Promise<string> {
  const tooLong = () => new CliError(EXIT.USAGE, `the message on standard input is longer than ${MESSAGE_MAX_LENGTH} characters, the most a message may have`, 'MESSAGE_TOO_LONG');
  const chunks: Buffer[] = [];
  let bytes = 0;
  for await (const chunk of process.stdin as AsyncIterable<Buffer>) {
    bytes += chunk.length;
    if (bytes > MAX_STDIN_BYTES) {
      process.stdin.destroy();
      throw tooLong();
    }
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
  if (text.length > MESSAGE_MAX_LENGTH && [...text].length > MESSAGE_MAX_LENGTH) throw tooLong();
  return text;
}

/**
 * The message a text command sends: its words joined with spaces, or standard input with
 * `--stdin` (not in the shell, whose standard input is its own lines).
 */
export async function messageText(args: { message?: (string | number)[]; stdin?: boolean }, inShell: boolean, usage: string): Promise<string> {
  const words = (args.message ?? []).map(String);
  if (!args.stdin) {
    if (words.length === 0) throw new CliError(EXIT.USAGE, `say something: ${usage} (or - to read the text from standard input)`, 'USAGE');
    return words.join(' ');
  }
  if (words.length > 0) throw new CliError(EXIT.USAGE, 'give the message as words or on standard input (--stdin or -), not both', 'USAGE');
  if (inShell) throw new CliError(EXIT.USAGE, 'in the shell, type the message as words', 'USAGE');
  return readMessageFromStdin();
}
