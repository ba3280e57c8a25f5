import { expect } from 'chai';
import { distinctIds } from '../../domain/index.js';

describe('distinctIds', () => {
  it('gives a strictly ascending list back as it is', () => {
    const ids = [3, 7, 8, 1000];
    expect(distinctIds(ids)).to.equal(ids);
    expect(distinctIds([])).to.deep.equal([]);
    expect(distinctIds([5])).to.deep.equal([5]);
  });

  it('drops repeats from any other list, keeping the order each id first came in', () => {
    expect(distinctIds([3, 3])).to.deep.equal([3]);
    expect(distinctIds([9, 2, 9, 5, 2])).to.deep.equal([9, 2, 5]);
    expect(distinctIds([1, 2, 3, 2])).to.deep.equal([1, 2, 3]);
    expect(distinctIds([1, Number.NaN, Number.NaN])).to.deep.equal([1, Number.NaN]);
  });
});
