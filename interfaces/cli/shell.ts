import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { clearLine, clearScreenDown, createInterface, cursorTo, type Interface } from 'node:readline';
import { Writable } from 'node:stream';
import { ChatClient } from '../client/chat-client.js';
import { ChatError } from '../client/chat-error.js';
import { CliContext, clientOptions, type GlobalArgs, type SharedConnection } from './cli-context.js';
import { EXIT, type CliError, type ExitCode } from './exit-codes.js';
import { Inbox, presenceLine } from './inbox.js';
import { connectionLost, kickedError } from './commands/listen.js';
import { readListing } from './listing.js';

const HISTORY_KEPT = 500;
const QUIT = new Set(['quit', 'exit', '.quit', '.exit']);

/** Runs one shell line as a chatctl command on the shared connection; resolves with its exit status. */
export type LineRunner = (line: string, shared: SharedConnection) => Promise<ExitCode>;

/** Standard output that can be silenced while a password is typed. */
class MutableOutput extends Writable {
  muted = false;

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: () => void): void {
    if (!this.muted) process.stdout.write(chunk);
    done();
  }
}

/** What completes an argument, by the name of its positional in the command's usage line. */
interface Completions {
  readonly friends: readonly string[];
  /** The last `groups` listing: names where a group name goes, its numbers where sendgroup's n goes. */
  readonly groups: readonly string[];
}

/**
 * What Tab offers for the last word of `line`: a command first, then, by the command's usage
 * line, friends where a username goes and groups where a group goes; nothing in message text.
 */
export function completionsFor(line: string, usages: readonly string[], { friends, groups }: Completions): string[] {
  const words = line.trimStart().split(/\s+/);
  const names = usages.map((usage) => usage.split(' ')[0]!);
  if (words.length <= 1) return [...names, 'help', 'clear', 'quit'];
  if (words[0] === 'help') return words.length === 2 ? names : [];
  const slots = usages.find((usage) => usage.split(' ')[0] === words[0])?.split(' ').slice(1) ?? [];
  const typed = words.slice(1, -1).filter((word) => !word.startsWith('-'));
  const slot = slots[typed.length] ?? '';
  if (/\.\./.test(slot)) return [];
  if (/username/.test(slot)) return [...friends];
  if (/groupname/.test(slot)) return [...new Set(groups)];
  if (/<n>/.test(slot)) return groups.map((_, i) => String(i + 1));
  return [];
}

/** A password typed as a command argument must not reach the history file. */
function forHistory(line: string): string {
  return line.replace(/^(\s*(?:login|reg)\s+\S+)\s+.*$/, '$1');
}

/**
 * `chatctl shell`: one connection, the chatctl commands as lines (with `.send`), history and
 * tab completion, and pushed messages printed above the line being typed.
 */
export async function runShell(args: GlobalArgs, commandUsages: () => Promise<string[]>, runLine: LineRunner): Promise<ExitCode> {
  const context = new CliContext(args);
  const profile = await context.profiles.read();
  const server = context.serverFor(profile);
  const client = await ChatClient.connect(await clientOptions(args, server, profile.token));
  const historyFile = join(context.profiles.path, '..', 'history');
  const history = (await readFile(historyFile, 'utf8').catch(() => '')).split('\n').filter(Boolean).reverse();
  const terminal = Boolean(process.stdin.isTTY);
  const output = new MutableOutput();
  let friendNames: string[] = [];
  let groupNames: string[] = [];
  let usages = await commandUsages();
  // Opened before the line editor, which starts reading (and may meet piped lines) at once.
  const inbox = await Inbox.open(context, client, (line) => show(line));

  const rl: Interface = createInterface({
    input: process.stdin,
    output,
    terminal,
    history,
    historySize: HISTORY_KEPT,
    removeHistoryDuplicates: true,
    completer: (line: string) => {
      const last = line.split(/\s+/).at(-1) ?? '';
      const hits = completionsFor(line, usages, { friends: friendNames, groups: groupNames }).filter((c) => c.startsWith(last));
      return [hits, last];
    },
  });
  const saveHistory = (lines: readonly string[]) =>
    void writeFile(historyFile, `${lines.map(forHistory).reverse().join('\n')}\n`, { mode: 0o600 }).catch(() => undefined);
  rl.on('history', saveHistory);
  /** readline records a question's answer like any line; a password must leave no trace. */
  const forget = (answer: string) => {
    const lines = (rl as unknown as { history?: string[] }).history;
    if (lines?.[0] !== answer) return;
    lines.shift();
    saveHistory(lines);
  };

  let busy = false;
  let closed = false;
  const show = (line: string) => {
    if (terminal) {
      clearLine(process.stdout, 0);
      cursorTo(process.stdout, 0);
    }
    process.stdout.write(`${line}\n`);
    if (terminal && !busy && !closed) rl.prompt(true);
  };
  const setPrompt = async () => {
    const { username } = await context.profiles.read();
    rl.setPrompt(`${username ?? 'parley'}> `);
  };

  const shared: SharedConnection = {
    client,
    server,
    profile: args.profile,
    askPassword: (message) =>
      new Promise((resolve) => {
        process.stdout.write(message);
        output.muted = true;
        rl.question('', (answer) => {
          output.muted = false;
          forget(answer);
          process.stdout.write('\n');
          resolve(answer);
        });
      }),
  };

  let ended: CliError | undefined;
  client.on('event', (event) => {
    if (event.type === 'kicked') {
      // Said once, as the shell's exit reason, when it ends.
      ended = kickedError(event.reason, event.message);
      rl.close();
      return;
    }
    if (event.type === 'message') return inbox.receive(event.id, event.message);
    const line = presenceLine(false, event);
    if (line !== null) show(line);
  });
  client.on('close', () => {
    ended ??= connectionLost(client);
    rl.close();
  });

  const refreshFriends = async () => {
    groupNames = ((await context.profiles.read()).groups ?? []).map((group) => group.name);
    if (!client.token) return;
    // Every page, so completion knows friends past the first hundred.
    const { items } = await readListing<{ username: string }>(client, 'friends', 'friends', {}, {}).catch(() => ({ items: [] }));
    friendNames = items.map((f) => f.username);
  };

  const closing = new Promise<void>((resolve) => rl.once('close', resolve));
  // Lines may arrive (piped) before start-up is done: they wait their turn behind it.
  let queue = (async () => {
    if (profile.token) {
      try {
        await client.request('attach');
        await refreshFriends();
      } catch (error) {
        if (!(error instanceof ChatError && error.status !== 'connection')) throw error;
        show(`chatctl: ${error.message}`);
      }
    }
    show(`connected to ${server}; \`help\` lists commands, \`quit\` leaves`);
    await setPrompt();
    if (!closed) rl.prompt();
  })();
  // Piped lines are a script: it fails with the status of its first failed line.
  let failed: ExitCode = EXIT.OK;
  rl.on('line', (line) => {
    queue = queue.then(async () => {
      const trimmed = line.trim();
      if (ended) return;
      if (QUIT.has(trimmed)) return void rl.close();
      if (trimmed === 'clear') {
        if (terminal) {
          cursorTo(process.stdout, 0, 0);
          clearScreenDown(process.stdout);
        }
      } else if (trimmed !== '') {
        busy = true;
        const status = await runLine(trimmed, shared);
        if (failed === EXIT.OK) failed = status;
        busy = false;
        await refreshFriends();
        await setPrompt();
        usages = await commandUsages();
      }
      if (!closed) rl.prompt();
    });
  });
  await closing;
  closed = true;
  await queue;
  const why = ended;
  inbox.stop();
  await inbox.flush().catch(() => undefined);
  await client.close();
  if (why) throw why;
  return terminal ? EXIT.OK : failed;
}
