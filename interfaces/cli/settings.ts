import { readFileSync } from 'node:fs';
import { parse, stringify, TomlError } from 'smol-toml';
import type { Options } from 'yargs';
import { CliError, EXIT } from './exit-codes.js';

/**
 * One setting of an operator command: its flag (`--name`), its environment variable
 * (`PARLEY_NAME`) and its config file key (`name`) are all derived from the name, so one
 * table drives the four. `check` and `expected` say what a good value is, in one place for
 * every source.
 */
export interface Setting<T extends string | number = string | number> {
  readonly type: T extends number ? 'number' : 'string';
  /** Absent: the setting is off unless given. */
  readonly default?: T;
  readonly describe: string;
  /** What a good value is, in words that follow "must be": "a whole number, at least 1". */
  readonly expected?: string;
  readonly check?: (value: T) => boolean;
  /** A URL that may carry a password, masked wherever the value is shown. */
  readonly secret?: boolean;
}

export type Settings = Readonly<Record<string, Setting<string> | Setting<number>>>;

/** A number setting; `check` a good value's test, `expected` its description. */
export function numberSetting<const O extends Omit<Setting<number>, 'type'>>(options: O): O & { readonly type: 'number' } {
  return { type: 'number', ...options };
}

/** A string setting. */
export function stringSetting<const O extends Omit<Setting<string>, 'type'>>(options: O): O & { readonly type: 'string' } {
  return { type: 'string', ...options };
}

type ValueOf<S extends Setting<string> | Setting<number>> = (S extends { readonly type: 'number' } ? number : string) | (S extends { readonly default: string | number } ? never : undefined);

/** The values of a table of settings, each of its type, undefined for an unset one without a default. */
export type Values<S extends Settings> = { readonly [K in keyof S]: ValueOf<S[K]> };

/** Where a value came from, highest precedence first. */
export type Source = 'flag' | 'environment' | 'file' | 'default';

/** The values, and where each came from. */
export interface Resolved<S extends Settings> {
  readonly values: Values<S>;
  readonly sources: { readonly [K in keyof S]: Source | 'unset' };
  /** The config file read, if any. */
  readonly file: string | undefined;
}

/** `max-frame-bytes` → `PARLEY_MAX_FRAME_BYTES`. */
export function envName(name: string): string {
  return `PARLEY_${name.toUpperCase().replaceAll('-', '_')}`;
}

/** The yargs options for a table of settings: no yargs defaults, so an absent flag lets the environment and file speak. */
export function settingOptions<S extends Settings>(settings: S): { [K in keyof S]: Options } {
  return Object.fromEntries(
    Object.entries(settings).map(([name, setting]) => [
      name,
      {
        // A number flag reaches `resolveSettings` as written (`--port abc`), to be checked and named like a variable's value.
        type: 'string',
        describe: `${setting.describe} [env ${envName(name)}]`,
        ...(setting.default === undefined ? {} : { defaultDescription: shown(setting, setting.default) }),
      },
    ]),
  ) as { [K in keyof S]: Options };
}

/** Hides the password of a URL (`scheme://user:password@host…`), if it has one, changing nothing else. */
export function masked(value: string): string {
  return value.replace(/^([a-z][a-z0-9+.-]*:\/\/[^/?#@:]*:)[^/?#]*@/i, '$1***@');
}

function shown(setting: Setting<string> | Setting<number>, value: string | number): string {
  return setting.secret && typeof value === 'string' ? masked(value) : String(value);
}

/** A source's value of one setting, and how to name it in an error. */
interface Given {
  readonly value: unknown;
  readonly source: Source;
  /** `--port`, `PARLEY_PORT`, `parley.toml: port`. */
  readonly where: string;
  /** The value as the operator wrote it, for an error. */
  readonly got: string;
}

/**
 * Resolves every setting: flag, else environment variable, else config file, else default.
 * Refuses the first bad value (an unknown key or a wrong type in the file, a value its check
 * refuses from any source) with one line naming where it came from, as bad usage. A command
 * that takes a few of the server's settings reads the server's file: `fileKeys` are the keys
 * it may hold.
 */
export function resolveSettings<S extends Settings>(
  settings: S,
  flags: Readonly<Record<string, unknown>>,
  env: NodeJS.ProcessEnv,
  file: string | undefined,
  fileKeys: Settings = settings,
): Resolved<S> {
  const fromFile = file === undefined ? {} : readConfigFile(file, fileKeys);
  const values: Record<string, unknown> = {};
  const sources: Record<string, Source | 'unset'> = {};
  for (const [name, setting] of Object.entries(settings)) {
    const given = pick(name, setting, flags, env, fromFile, file);
    if (given === undefined) {
      values[name] = undefined;
      sources[name] = 'unset';
      continue;
    }
    const { value, where, got } = given;
    if (typeof value !== setting.type || (setting.check && !(setting.check as (v: unknown) => boolean)(value))) {
      const expected = setting.expected ?? (setting.type === 'number' ? 'a number' : 'a string');
      throw new CliError(EXIT.USAGE, `${where} must be ${expected} (got ${got})`, 'BAD_SETTING');
    }
    values[name] = value;
    sources[name] = given.source;
  }
  return { values: values as Values<S>, sources: sources as Resolved<S>['sources'], file };
}

function pick(name: string, setting: Setting<string> | Setting<number>, flags: Readonly<Record<string, unknown>>, env: NodeJS.ProcessEnv, fromFile: Record<string, unknown>, file: string | undefined): Given | undefined {
  const flag = flags[name];
  if (flag !== undefined) return { value: typed(setting, String(flag)), source: 'flag', where: `--${name}`, got: shown(setting, String(flag)) };
  const variable = env[envName(name)];
  // An empty variable counts as unset, as a shell's `PARLEY_DB= chatctl serve` means.
  if (variable !== undefined && variable !== '') {
    return { value: typed(setting, variable), source: 'environment', where: envName(name), got: JSON.stringify(shown(setting, variable)) };
  }
  if (Object.hasOwn(fromFile, name)) {
    const value = fromFile[name];
    return { value, source: 'file', where: `${file}: ${name}`, got: JSON.stringify(typeof value === 'string' ? shown(setting, value) : value) ?? String(value) };
  }
  if (setting.default !== undefined) return { value: setting.default, source: 'default', where: name, got: String(setting.default) };
  return undefined;
}

/** A flag's or a variable's text as the setting's type: a number setting's text that is not one becomes NaN, which its check refuses. */
function typed(setting: Setting<string> | Setting<number>, text: string): string | number {
  return setting.type === 'number' ? (text.trim() === '' ? NaN : Number(text)) : text;
}

/** Reads a TOML config file of flat `name = value` lines; a missing file, bad TOML or an unknown key is bad usage. */
function readConfigFile(file: string, settings: Settings): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new CliError(EXIT.USAGE, `cannot read the config file ${file}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`, 'UNREADABLE_FILE');
  }
  let table: Record<string, unknown>;
  try {
    table = parse(text);
  } catch (error) {
    if (!(error instanceof TomlError)) throw error;
    throw new CliError(EXIT.USAGE, `${file}:${error.line}:${error.column}: not valid TOML: ${error.message.split('\n')[0]?.replace(/^Invalid TOML document: /, '')}`, 'BAD_SETTING');
  }
  for (const key of Object.keys(table)) {
    if (!Object.hasOwn(settings, key)) throw new CliError(EXIT.USAGE, `${file}: unknown key "${key}" (the keys are the names of the serve flags: docs/operations.md)`, 'BAD_SETTING');
  }
  return table;
}

/**
 * The effective configuration as a TOML document a config file could hold, each line saying
 * where its value came from; passwords in URLs masked, unset settings commented out.
 */
export function formatSettings<S extends Settings>(settings: S, resolved: Resolved<S>): string {
  const lines = [`# effective configuration: flag > environment (PARLEY_*) > file${resolved.file === undefined ? '' : ` (${resolved.file})`} > default`];
  for (const [name, setting] of Object.entries(settings)) {
    const value = resolved.values[name] as string | number | undefined;
    const source = resolved.sources[name];
    if (value === undefined) lines.push(`# ${name} = (unset)`);
    else lines.push(`${stringify({ [name]: setting.type === 'string' ? shown(setting, value) : value }).trim()}  # ${source}`);
  }
  return `${lines.join('\n')}\n`;
}
