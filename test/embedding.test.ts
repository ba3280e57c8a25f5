import { expect } from 'chai';
import { createChatApp } from '../index.js';

describe('embedding parley in a Node service', () => {
  it('registers and logs in a user on memory storage, with no server at all', async () => {
    const app = await createChatApp({ storage: 'memory' });
    try {
      const user = await app.accounts.register('Alice', 'correct horse');
      expect(user.username).to.equal('alice');
      const { token } = await app.accounts.login('alice', 'correct horse', 'embedded');
      expect((await app.accounts.authenticate(token)).username).to.equal('alice');
    } finally {
      await app.close();
    }
  });

  it('gives each call its own application: two hosts do not share users', async () => {
    const [one, two] = await Promise.all([createChatApp({ storage: 'memory' }), createChatApp({ storage: 'memory' })]);
    await one.accounts.register('alice', 'correct horse');
    expect((await two.accounts.register('alice', 'correct horse')).username).to.equal('alice');
    await Promise.all([one.close(), two.close()]);
  });
});
