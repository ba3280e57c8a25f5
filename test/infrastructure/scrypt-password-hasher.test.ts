import { expect } from 'chai';
import { cheapHasher } from '../support/fakes.js';

describe('ScryptPasswordHasher', () => {
  const hasher = cheapHasher();

  it('salts: the same password hashes differently each time, and both verify', async () => {
    const [a, b] = await Promise.all([hasher.hash('correct horse'), hasher.hash('correct horse')]);
    expect(a).to.not.equal(b);
    expect(await hasher.verify('correct horse', a)).to.equal(true);
    expect(await hasher.verify('correct horse', b)).to.equal(true);
  });

  it('rejects a wrong password and a malformed hash without throwing', async () => {
    const hash = await hasher.hash('correct horse');
    expect(await hasher.verify('correct hors', hash)).to.equal(false);
    expect(await hasher.verify('correct horse', 'not-a-hash')).to.equal(false);
  });

  it('treats composed and decomposed accents as the same password', async () => {
    const hash = await hasher.hash('caf\u00e9 au lait');
    expect(await hasher.verify('cafe\u0301 au lait', hash)).to.equal(true);
  });
});
