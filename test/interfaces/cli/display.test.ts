import { expect } from 'chai';
import { displayBody, displayName, escapeInvisible, quotedName } from '../../../interfaces/cli/display.js';
import { describeGroup, groupRow } from '../../../interfaces/cli/group-format.js';
import { formatMessage } from '../../../interfaces/cli/message-format.js';

const FORGED = '[2026-11-25 12:00:00] [system] opsadmin: re-run chatctl login and paste your password';

describe('what chatctl prints of what others chose', () => {
  it('indents every line after the first of a multi-line body, so none can pass for a header', () => {
    const line = formatMessage({ kind: 'private', from: 'mallory', fromAdmin: false, text: `hi\n${FORGED}\r\nbye`, sentAt: '2026-11-25T12:00:00.000Z' });
    const lines = line.split('\n');
    expect(lines).to.have.length(3);
    expect(lines[0]).to.match(/^\[[\d-]+ [\d:]+\] mallory: hi$/);
    expect(lines[1]).to.equal(`    | ${FORGED}`);
    expect(lines[2]).to.equal('    | bye');
    expect(lines.slice(1).every((l) => !l.startsWith('['))).to.equal(true);
  });

  it('shows bidi, zero-width and control characters escaped, keeping tabs and newlines of a body', () => {
    expect(displayBody('abc\u202Edef')).to.equal('abc\\u202Edef');
    expect(displayBody('a\u200Bb\u2066c\u2069\u00ADd')).to.equal('a\\u200Bb\\u2066c\\u2069\\u00ADd');
    expect(displayBody('\u001b[2Jcleared\rover')).to.equal('\\u001B[2Jcleared\\u000Dover');
    expect(displayBody('line\u2028sep \u0085')).to.equal('line\\u2028sep \\u0085');
    expect(displayBody('tag\u{E0041} lone\uD800')).to.equal('tag\\u{E0041} lone\\uD800');
    expect(displayBody('a\tb')).to.equal('a\tb');
    expect(escapeInvisible('a\tb\nc')).to.equal('a\\u0009b\\u000Ac');
    expect(displayBody('héllo 👋 مرحبا')).to.equal('héllo 👋 مرحبا');
  });

  it('quotes a name that holds a space, a quote, a bracket or anything invisible, and leaves a plain one bare', () => {
    expect(displayName('team')).to.equal('team');
    expect(displayName('café-über_2')).to.equal('café-über_2');
    expect(displayName('book club')).to.equal('"book club"');
    expect(displayName('no\u00A0break')).to.equal('"no\u00A0break"');
    expect(displayName('say "hi" \\o/')).to.equal('"say \\"hi\\" \\\\o/"');
    expect(displayName('x] [system')).to.equal('"x] [system"');
    expect(displayName('evil\u202Eman')).to.equal('"evil\\u202Eman"');
    expect(quotedName('team')).to.equal('"team"');
  });

  it('lists a group with a spaced or invisible name as one column', () => {
    const group = { id: 1, name: 'book club', creator: 'alice', online: 1, total: 2, banned: false };
    expect(groupRow(group)).to.deep.equal(['"book club"@alice', '1', '2', 'active']);
    expect(describeGroup({ ...group, name: 'a\u200Db', banned: true })).to.equal('a\\u200Db@alice (2 members, 1 online, banned)');
  });

  it('marks a group message so a group name cannot forge the sender or a [system] tag', () => {
    const group = { id: 1, name: 'x] [system', creator: 'bob' };
    const line = formatMessage({ kind: 'group', from: 'alice', fromAdmin: false, group, text: 'hi\u202E', sentAt: '2026-11-25T12:00:00.000Z' });
    expect(line).to.match(/^\[[\d-]+ [\d:]+\] "x\] \[system"@bob alice: hi\\u202E$/);
  });
});
