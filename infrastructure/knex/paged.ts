import type { Knex } from 'knex';
import type { PageRequest } from '../../application/ports/page-request.js';

/**
 * Orders a query by the id `column`, and with a page keeps the rows after `page.after`, at
 * most `page.limit` of them: an index walk that costs the same on any page.
 */
export function paged(column: string, page: PageRequest | undefined): (query: Knex.QueryBuilder) => void {
  return (query) => {
    void query.orderBy(column);
    if (page) void query.where(column, '>', page.after ?? 0).limit(page.limit);
  };
}
