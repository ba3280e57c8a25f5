import type { Knex } from 'knex';
import * as initialSchema from './migrations/0001-initial-schema.js';
import * as clientMessageIds from './migrations/0002-client-message-ids.js';
import * as tokenIssuedAt from './migrations/0003-token-issued-at.js';
import * as queueReferences from './migrations/0004-queue-references.js';
import * as queueRecipientCheck from './migrations/0005-queue-recipient-check.js';
import * as groupLog from './migrations/0006-group-log.js';
import * as messageIds64Bit from './migrations/0007-message-ids-64-bit.js';

type Migration = Pick<Knex.Migration, 'up' | 'down'> & { readonly name: string };

const MIGRATIONS: readonly Migration[] = [
  { name: '0001-initial-schema', ...initialSchema },
  { name: '0002-client-message-ids', ...clientMessageIds },
  { name: '0003-token-issued-at', ...tokenIssuedAt },
  { name: '0004-queue-references', ...queueReferences },
  { name: '0005-queue-recipient-check', ...queueRecipientCheck },
  { name: '0006-group-log', ...groupLog },
  { name: '0007-message-ids-64-bit', ...messageIds64Bit },
];

/** Lists the migrations by import, not by reading a folder, so they run the same from source and from dist/. */
export const migrationSource: Knex.MigrationSource<Migration> = {
  getMigrations: async () => [...MIGRATIONS],
  getMigrationName: (migration) => migration.name,
  getMigration: async (migration) => migration,
};
