import { CliError, EXIT } from './exit-codes.js';

/** The option a lone `-` stands for where a message goes: read the text from standard input. */
export const STDIN_MESSAGE_FLAG = '--stdin';

/** Splits a command line at the first `--`: what comes after it is never an option. */
export function splitAtDashes(argv: readonly string[]): { options: string[]; rest: string[] } {
  const at = argv.indexOf('--');
  return at < 0 ? { options: [...argv], rest: [] } : { options: argv.slice(0, at), rest: argv.slice(at) };
}

/** Levenshtein distance: the fewest one-character edits that turn `a` into `b`. */
function distance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}

/** The candidate a mistyped `word` most likely meant: a few edits away, or the one it begins. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  const prefixed = candidates.filter((c) => word.length >= 2 && c.startsWith(word));
  if (prefixed.length === 1) return prefixed[0];
  const limit = Math.min(2, Math.floor(word.length / 3) + 1);
  const scored = candidates.map((c) => ({ c, d: distance(word.toLowerCase(), c) })).filter(({ d }) => d <= limit);
  return scored.sort((x, y) => x.d - y.d)[0]?.c;
}

/**
 * A word like `-hello`, `-pw` or `-1 for that` before `--`: yargs reads it as a group of
 * one-letter options (and prints help for the `h` in `-hello` instead of sending it). chatctl
 * has no such groups, so the word is refused before parsing, with how to pass it as it is.
 * Negative numbers are left to yargs, as the values they may be.
 */
export function dashedWordError(argv: readonly string[], usages: ReadonlyMap<string, string>, valueOptions: ReadonlySet<string>, shell: boolean): CliError | undefined {
  const { options } = splitAtDashes(argv);
  // The command is the first command name that is not an option's value (`--profile listen send …` sends).
  const at = options.findIndex((arg, i) => usages.has(arg) && !valueOptions.has(options[i - 1] ?? ''));
  if (at < 0) return undefined;
  const dashed = options.slice(at + 1).find((arg) => /^-[^-]./s.test(arg) && !/^-\d+(\.\d+)?$/.test(arg));
  if (dashed === undefined) return undefined;
  const usage = `usage: ${shell ? '' : 'chatctl '}${usages.get(options[at]!)}`;
  return new CliError(EXIT.USAGE, `"${dashed}" begins with "-", so it is read as options; to pass it as it is, put it after --; ${usage}`, 'USAGE');
}

/** What a parse knew when it failed: the command reached (its usage line) and the options it takes. */
export interface UsageContext {
  readonly argv: readonly string[];
  readonly reached: { readonly usage?: string; readonly options: readonly string[] };
  /** The commands --help lists. */
  readonly commandNames: readonly string[];
  /** In the shell, commands are typed without `chatctl`. */
  readonly shell: boolean;
}

/**
 * Turns a yargs validation message into one line that says what was wrong and how to get it
 * right (a did-you-mean, the command's usage), exit 2; help is printed only on `--help`.
 */
export function oneLineUsageError(message: string, { argv, reached, commandNames, shell }: UsageContext): CliError {
  const me = shell ? '' : 'chatctl ';
  const name = reached.usage?.split(' ')[0];
  const help = shell ? `help${name ? ` ${name}` : ''}` : `chatctl ${name ? `${name} ` : ''}--help`;
  const usage = `usage: ${me}${reached.usage ?? '<command> [options]'}`;
  const fail = (line: string) => new CliError(EXIT.USAGE, line, 'USAGE');
  const unknown = /^Unknown arguments?: (.+)$/.exec(message)?.[1]?.split(', ')[0];
  if (unknown !== undefined) {
    const typed = splitAtDashes(argv).options.find((arg) => /^--?[^-]/.test(arg) && arg.replace(/^--?/, '').split('=')[0] === unknown);
    if (typed !== undefined) {
      const known = reached.options.filter((option) => option.length > 1 && !/[A-Z]/.test(option));
      const guess = closest(unknown, known);
      return fail(`unknown option ${typed.split('=')[0]}${guess ? `; did you mean --${guess}?` : ''} (${help} lists them)`);
    }
    if (name === undefined) {
      const guess = closest(unknown, commandNames);
      return fail(`unknown command "${unknown}"${guess ? `; did you mean "${guess}"?` : ''} (${help} lists them)`);
    }
    return fail(`unexpected argument "${unknown}"; ${usage}`);
  }
  const notEnough = /^Not enough non-option arguments: got (\d+)/.exec(message);
  if (notEnough && reached.usage) {
    const missing = (reached.usage.match(/<[^>]+>/g) ?? []).slice(Number(notEnough[1]));
    return fail(`missing ${missing.join(' ')}; ${usage}`);
  }
  return fail(message.replace(/\s*\n\s*/g, ' '));
}
