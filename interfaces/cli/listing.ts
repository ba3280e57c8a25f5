import type { Argv } from 'yargs';
import { MAX_PAGE_SIZE } from '../../application/paging.js';
import type { ChatClient } from '../client/chat-client.js';
import type { CliContext } from './cli-context.js';
import { renderTable, standardOutput, type TableTarget } from './table.js';

/** The paging options of every listing command (`friends`, `groups`, `allusers`, `allgroup`). */
export function pagingOptions<T>(yargs: Argv<T>) {
  return yargs
    .option('limit', { type: 'number', describe: `Show one page of at most this many rows (1 to ${MAX_PAGE_SIZE}) instead of all` })
    .option('cursor', { type: 'string', describe: 'Start after the page that printed this cursor' });
}

/** Rows of a listing, and where the next page starts when only one page was read. */
export interface Listing<T> {
  readonly items: T[];
  readonly nextCursor: string | null;
}

/**
 * Reads a listing whose answer carries its rows under `key`: with `limit`, the one page from
 * `cursor`; else every page from there on, in the server's order, following `nextCursor`.
 */
export async function readListing<T>(
  client: ChatClient,
  op: 'friends' | 'groups' | 'allusers' | 'allgroup',
  key: string,
  args: Record<string, unknown>,
  paging: { readonly limit?: number | undefined; readonly cursor?: string | undefined },
): Promise<Listing<T>> {
  const items: T[] = [];
  let cursor = paging.cursor;
  for (;;) {
    const page: Record<string, unknown> = await client.request(op, {
      ...args,
      ...(paging.limit === undefined ? {} : { limit: paging.limit }),
      ...(cursor === undefined ? {} : { cursor }),
    });
    items.push(...(page[key] as T[]));
    const next = typeof page.nextCursor === 'string' ? page.nextCursor : null;
    if (paging.limit !== undefined || next === null || next === cursor) return { items, nextCursor: paging.limit === undefined ? null : next };
    cursor = next;
  }
}

/** How a listing command shows its rows: table columns for people, a JSON document for programs. */
export interface ListingOutput<T> {
  readonly head: readonly string[];
  /** One table row: display-escaped cells, in the order of `head`. */
  row(item: T, index: number): string[];
  /** The JSON document's rows under their key (`friends`, `groups`, `users`); `nextCursor` is added. */
  readonly json: Record<string, unknown>;
  /** Said on standard error when there are no rows at all, as the way to get some. */
  readonly empty?: string | undefined;
}

/**
 * Prints a listing: with --json one document; else a table (see renderTable: boxed on a
 * terminal, tab-separated when piped). Hints go to standard error, so a pipe gets only rows:
 * what to do when there are none, and the cursor of the next page when only one was read.
 */
export function printListing<T>(context: Pick<CliContext, 'args' | 'print'>, listing: Listing<T>, output: ListingOutput<T>, target: TableTarget = standardOutput()): void {
  if (context.args.json) return context.print('', { ...output.json, nextCursor: listing.nextCursor });
  if (listing.items.length === 0) {
    if (output.empty) process.stderr.write(`${output.empty}\n`);
    if (target.tty) return;
  }
  context.print(renderTable(output.head, listing.items.map((item, i) => output.row(item, i)), target), undefined);
  if (listing.nextCursor !== null) process.stderr.write(`more: run the same command with --cursor ${listing.nextCursor}\n`);
}
