import { expect } from 'chai';
import { fitColumns, renderTable } from '../../../interfaces/cli/table.js';

const HEAD = ['group', 'online', 'members', 'status'];
const ROWS = [
  ['team@alice', '1', '3', 'active'],
  ['"the very long name of a reading circle that meets on thursdays"@bob', '0', '12', 'banned'],
];

/** How many columns a rendered line takes (the table draws no colours, so code points are columns). */
const widthOf = (line: string) => [...line].length;

describe('chatctl tables', () => {
  it('fits a terminal: every line within the width, the widest column cut with an ellipsis, the others whole', () => {
    const lines = renderTable(HEAD, ROWS, { tty: true, width: 50 }).split('\n');
    for (const line of lines) expect(widthOf(line)).to.be.at.most(50);
    const long = lines.find((line) => line.includes('"the very'))!;
    expect(long).to.include('…');
    expect(long).to.match(/│ 0 +│ 12 +│ banned │$/);
    expect(lines.join('\n')).to.include('team@alice');
  });

  it('leaves a table alone when it fits', () => {
    const lines = renderTable(HEAD, ROWS, { tty: true, width: 200 }).split('\n');
    expect(lines.join('\n')).to.not.include('…');
    expect(lines.join('\n')).to.include('reading circle that meets on thursdays"@bob');
  });

  it('prints tab-separated lines with one header and no box drawing when not on a terminal', () => {
    expect(renderTable(HEAD, ROWS, { tty: false, width: 20 })).to.equal(
      ['group\tonline\tmembers\tstatus', 'team@alice\t1\t3\tactive', `${ROWS[1]![0]}\t0\t12\tbanned`].join('\n'),
    );
  });

  it('shrinks the widest columns first, ties together, never below a minimum', () => {
    expect(fitColumns([40, 8, 10], 40)).to.deep.equal([18, 8, 10]);
    expect(fitColumns([20, 20], 23)).to.deep.equal([10, 10]);
    expect(fitColumns([30, 30, 30], 10)).to.deep.equal([5, 5, 5]);
  });
});
