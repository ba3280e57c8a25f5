import { DomainError } from '../domain/index.js';
import type { PageRequest } from './ports/page-request.js';

/** Rows in a page of `friends`, `groups`, `allusers` or `allgroup` when the client names no limit. */
export const DEFAULT_PAGE_SIZE = 100;
/**
 * The most rows a client may ask for in one page, and the most a server may be configured to
 * allow (`serve --max-page-size` may only lower it). The widest row is a group (about 260 bytes
 * with a 32-emoji name and the longest creator), so the largest page stays near 52 KB, inside
 * the smallest frame limit a server may have (64 KiB), however long the names. Prosody's MAM
 * and Synapse's room directory cap their pages in the same hundreds.
 */
export const MAX_PAGE_SIZE = 200;

/** What a client asks of a listing: how many rows, and where the previous page stopped. */
export interface PageArgs {
  readonly limit?: number | undefined;
  /** `nextCursor` of the previous page; the first page when left out. */
  readonly cursor?: string | undefined;
}

/** One page of a listing; `nextCursor` is null on the last one. */
export interface Page<T> {
  readonly items: T[];
  readonly nextCursor: string | null;
}

const CURSOR = /^[1-9][0-9]{0,15}$/;

/**
 * Reads one page through `read` (rows ordered by the id `idOf` gives) of at most `maxLimit`
 * rows, and says where the next begins. The cursor is the last id shown, but clients must
 * treat it as opaque.
 */
export async function readPage<R>(
  args: PageArgs,
  read: (page: PageRequest) => Promise<R[]>,
  idOf: (row: R) => number,
  maxLimit = MAX_PAGE_SIZE,
): Promise<Page<R>> {
  const limit = args.limit ?? Math.min(DEFAULT_PAGE_SIZE, maxLimit);
  if (!Number.isInteger(limit) || limit < 1 || limit > maxLimit) {
    throw new DomainError('INVALID_PAGE', `a page holds 1 to ${maxLimit} rows (got ${limit})`, { maxLimit });
  }
  if (args.cursor !== undefined && !CURSOR.test(args.cursor)) {
    throw new DomainError('INVALID_PAGE', 'that cursor is not one this listing gave: start again without a cursor');
  }
  // One row more than asked tells whether another page follows.
  const rows = await read({ ...(args.cursor === undefined ? {} : { after: Number(args.cursor) }), limit: limit + 1 });
  const items = rows.slice(0, limit);
  return { items, nextCursor: rows.length > limit ? String(idOf(items[items.length - 1]!)) : null };
}
