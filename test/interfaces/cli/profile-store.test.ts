import { expect } from 'chai';
import { readdir } from 'node:fs/promises';
import { ProfileStore } from '../../../interfaces/cli/profile-store.js';
import { temporaryDirectory } from '../../support/processes.js';

describe('the profile store', () => {
  it('completes every one of several writes at once, leaving one whole profile and no temporary file', async () => {
    const tmp = temporaryDirectory();
    try {
      const profiles = new ProfileStore(tmp.path, 'bob');
      for (let round = 0; round < 10; round++) {
        await Promise.all([1, 2, 3].map((n) => profiles.write({ username: 'bob', seen: [round, n] })));
        expect((await profiles.read()).seen?.[0]).to.equal(round);
      }
      expect(await readdir(tmp.path)).to.deep.equal(['bob.json']);
    } finally {
      tmp.remove();
    }
  });
});
