import { expect } from 'chai';
import { wireTime } from '../../../interfaces/wire/index.js';

describe('wireTime', () => {
  it('writes what toISOString writes, for the same instant again and for the next one', () => {
    const instants = [0, 1_733_500_000_000, 1_733_500_000_000, 1_733_500_000_001, 1_733_500_000_001, 1_733_499_999_999, -62_198_755_200_000, 8.64e15, 0];
    for (const ms of instants) expect(wireTime(new Date(ms))).to.equal(new Date(ms).toISOString());
  });

  it('does not give the last instant for a different one made from the same Date, changed since', () => {
    const time = new Date(1_733_500_000_000);
    expect(wireTime(time)).to.equal('2024-12-06T15:46:40.000Z');
    time.setTime(1_733_500_000_250);
    expect(wireTime(time)).to.equal('2024-12-06T15:46:40.250Z');
  });

  it('refuses an invalid date, as toISOString does', () => {
    expect(() => wireTime(new Date(Number.NaN))).to.throw(RangeError);
    expect(wireTime(new Date(5))).to.equal('1970-01-01T00:00:00.005Z');
  });
});
