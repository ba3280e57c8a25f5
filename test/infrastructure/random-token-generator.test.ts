import { expect } from 'chai';
import { RandomTokenGenerator } from '../../infrastructure/random-token-generator.js';

describe('RandomTokenGenerator', () => {
  const tokens = new RandomTokenGenerator();

  it('makes 43-character base64url secrets, all different', () => {
    const drawn = Array.from({ length: 1000 }, () => tokens.generate());
    for (const secret of drawn) expect(secret).to.match(/^[A-Za-z0-9_-]{43}$/);
    expect(new Set(drawn).size).to.equal(drawn.length);
  });

  // A reset password is typed as `chatctl login bob <password>`: with a leading dash the parser
  // takes it for an option. Plain base64url starts with one once in 64 draws, about 150 times here.
  it('never begins a secret with "-", which a command line would read as an option', () => {
    const leading = Array.from({ length: 10_000 }, () => tokens.generate()).filter((s) => s.startsWith('-'));
    expect(leading).to.deep.equal([]);
  });

  it('hashes a secret to the hex SHA-256 it is stored under, the same each time', () => {
    const secret = tokens.generate();
    expect(tokens.hash(secret)).to.match(/^[0-9a-f]{64}$/).and.to.equal(tokens.hash(secret));
    expect(tokens.hash(secret)).to.not.equal(tokens.hash(tokens.generate()));
  });
});
