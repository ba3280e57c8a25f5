import { expect } from 'chai';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, readPage } from '../../application/paging.js';
import type { PageRequest } from '../../application/ports/page-request.js';
import type { DomainError } from '../../domain/index.js';
import { refusalCode } from '../support/refusals.js';

describe('listing pages', () => {
  const ids = Array.from({ length: 250 }, (_, i) => 3 * i + 1);
  const asked: PageRequest[] = [];
  const read = async (page: PageRequest) => {
    asked.push(page);
    return ids.filter((id) => id > (page.after ?? 0)).slice(0, page.limit);
  };
  const readAll = async (limit?: number) => {
    const seen: number[] = [];
    let cursor: string | undefined;
    do {
      const page = await readPage({ limit, cursor }, read, (id) => id);
      expect(page.items.length).to.be.at.most(limit ?? DEFAULT_PAGE_SIZE);
      seen.push(...page.items);
      cursor = page.nextCursor ?? undefined;
    } while (cursor !== undefined);
    return seen;
  };

  beforeEach(() => (asked.length = 0));

  it(`hold ${DEFAULT_PAGE_SIZE} rows unless asked, and lead through every row once, the last page saying there is no next`, async () => {
    expect(await readAll()).to.deep.equal(ids);
    expect(asked.map((page) => page.limit)).to.deep.equal([DEFAULT_PAGE_SIZE + 1, DEFAULT_PAGE_SIZE + 1, DEFAULT_PAGE_SIZE + 1]);
    expect(await readAll(1)).to.deep.equal(ids);
    expect(await readAll(MAX_PAGE_SIZE)).to.deep.equal(ids);
    const last = await readPage({ limit: MAX_PAGE_SIZE, cursor: String(ids[99]) }, read, (id) => id);
    expect(last).to.deep.equal({ items: ids.slice(100), nextCursor: null });
  });

  it(`refuse a limit outside 1 to ${MAX_PAGE_SIZE} and a cursor no listing gave, reading nothing`, async () => {
    for (const limit of [0, -1, 1.5, MAX_PAGE_SIZE + 1, Number.NaN]) {
      expect(await refusalCode(readPage({ limit }, read, (id) => id)), String(limit)).to.equal('INVALID_PAGE');
    }
    for (const cursor of ['', 'abc', '-5', '0', '1e3', '12345678901234567', ' 4']) {
      expect(await refusalCode(readPage({ cursor }, read, (id) => id)), cursor).to.equal('INVALID_PAGE');
    }
    expect(asked).to.deep.equal([]);
  });

  it('hold at most what the server allows, and no more than that by default', async () => {
    expect((await readPage({}, read, (id) => id, 5)).items).to.deep.equal(ids.slice(0, 5));
    const refused = await readPage({ limit: 6 }, read, (id) => id, 5).then(() => expect.fail('expected a refusal'), (error: DomainError) => error);
    expect(refused).to.include({ code: 'INVALID_PAGE', message: 'a page holds 1 to 5 rows (got 6)' });
    expect(refused.details).to.deep.equal({ maxLimit: 5 });
  });
});
