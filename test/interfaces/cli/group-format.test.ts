import { expect } from 'chai';
import { CliError } from '../../../interfaces/cli/exit-codes.js';
import { groupNotation, parseFullGroupHandle, parseGroupHandle } from '../../../interfaces/cli/group-format.js';

describe('the group notation name@owner', () => {
  it('writes a group as name@owner, quoting a name that is not one plain word', () => {
    expect(groupNotation({ name: 'team', creator: 'alice' })).to.equal('team@alice');
    expect(groupNotation({ name: 'book club', creator: 'alice' })).to.equal('"book club"@alice');
    expect(groupNotation({ name: 'a@b', creator: 'alice' })).to.equal('"a@b"@alice');
  });

  it('reads back whatever it writes', () => {
    for (const name of ['team', 'book club', 'a@b', 'say "hi"', 'back\\slash']) {
      expect(parseGroupHandle(groupNotation({ name, creator: 'alice' }))).to.deep.equal({ name, owner: 'alice' });
    }
  });

  it('takes the owner after the last @, and a bare name without one', () => {
    expect(parseGroupHandle('team')).to.deep.equal({ name: 'team' });
    expect(parseGroupHandle('a@b@carol')).to.deep.equal({ name: 'a@b', owner: 'carol' });
  });

  it('refuses a lone @ or a missing owner where one is needed, as bad usage', () => {
    for (const text of ['@alice', 'team@']) expect(() => parseGroupHandle(text)).to.throw(CliError, /name@owner/);
    expect(() => parseFullGroupHandle('team')).to.throw(CliError, /team@alice/);
  });
});
