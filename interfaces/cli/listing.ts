import type { Argv } from 'yargs';
import { MAX_PAGE_SIZE } from '../../application/paging.js';
import type { ChatClient } from '../client/chat-client.js';

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

/** What follows a single page's rows: how to see the next one, if there is one. */
export function morePages(listing: Listing<unknown>): string {
  return listing.nextCursor === null ? '' : `\nmore: run the same command with --cursor ${listing.nextCursor}`;
}
