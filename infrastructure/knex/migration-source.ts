import type { Knex } from 'knex';
import * as initialSchema from './migrations/0001-initial-schema.js';

interface Migration {
  up(knex: Knex): Promise<void>;
  down(knex: Knex): Promise<void>;
}

const MIGRATIONS: Readonly<Record<string, Migration>> = {
  '0001-initial-schema': initialSchema,
};

/** Lists the migrations by import rather than by reading a folder, so they run the same from source and from dist/. */
export class StaticMigrationSource implements Knex.MigrationSource<string> {
  async getMigrations(): Promise<string[]> {
    return Object.keys(MIGRATIONS);
  }

  getMigrationName(migration: string): string {
    return migration;
  }

  async getMigration(migration: string): Promise<Knex.Migration> {
    return MIGRATIONS[migration]!;
  }
}
