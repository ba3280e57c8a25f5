import { join } from 'node:path';
import { openStorage } from '../../infrastructure/storage.js';
import { temporaryDirectory } from '../support/processes.js';
import { describeStorageContract } from './storage.contract.js';

describeStorageContract('in memory', () => openStorage('memory'));

describeStorageContract('Knex on a SQLite file', async () => {
  const directory = temporaryDirectory();
  const storage = await openStorage(`sqlite:${join(directory.path, 'contract.sqlite')}`);
  return {
    ...storage,
    close: async () => {
      await storage.close();
      directory.remove();
    },
  };
});
