import { expect } from 'chai';
import { completionsFor } from '../../../interfaces/cli/shell.js';

describe('the shell\'s Tab completion', () => {
  const usages = ['send <username> [message..]', '.send <username> [message..]', 'addgroupuser <groupname> <username>', 'sendgroup <n> [message..]', 'newgroup <groupname>', 'friends'];
  const known = { friends: ['bob', 'carol'], groups: ['team', 'family', 'team'] };

  it('offers commands, help, clear and quit for the first word', () => {
    expect(completionsFor('se', usages, known)).to.deep.equal(['send', '.send', 'addgroupuser', 'sendgroup', 'newgroup', 'friends', 'help', 'clear', 'quit']);
  });

  it('offers friends only where a username goes, never in message text', () => {
    expect(completionsFor('send ', usages, known)).to.deep.equal(['bob', 'carol']);
    expect(completionsFor('.send b', usages, known)).to.deep.equal(['bob', 'carol']);
    expect(completionsFor('send bob ', usages, known)).to.deep.equal([]);
    expect(completionsFor('send bob hello b', usages, known)).to.deep.equal([]);
    expect(completionsFor('addgroupuser team ', usages, known)).to.deep.equal(['bob', 'carol']);
    expect(completionsFor('friends ', usages, known)).to.deep.equal([]);
  });

  it('offers group names where a group goes and the listing\'s numbers for sendgroup', () => {
    expect(completionsFor('addgroupuser ', usages, known)).to.deep.equal(['team', 'family']);
    expect(completionsFor('sendgroup ', usages, known)).to.deep.equal(['1', '2', '3']);
    expect(completionsFor('sendgroup 1 ', usages, known)).to.deep.equal([]);
  });

  it('offers commands after help', () => {
    expect(completionsFor('help ', usages, known)).to.include('sendgroup');
    expect(completionsFor('help send ', usages, known)).to.deep.equal([]);
  });
});
