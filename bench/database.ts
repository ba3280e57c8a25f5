import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import pg from 'pg';

/** The `--db` one server run gets, and how to clear it away after. */
export interface RunDatabase {
  readonly db: string;
  drop(): Promise<void>;
}

/**
 * A database of the run's own: a SQLite file in its directory or, with `--db postgres://…`,
 * a fresh schema in that database (the URL's `options=-c search_path=` points the server at
 * it), dropped after, so every run starts empty as it does on SQLite.
 */
export async function runDatabase(postgres: string | undefined, directory: string): Promise<RunDatabase> {
  if (postgres === undefined) return { db: join(directory, 'bench.sqlite'), drop: async () => {} };
  const schema = `parley_bench_${process.pid}_${randomBytes(4).toString('hex')}`;
  const onDatabase = async (sql: string) => {
    const client = new pg.Client({ connectionString: postgres });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  await onDatabase(`create schema ${schema}`);
  const url = new URL(postgres);
  url.searchParams.set('options', `-c search_path=${schema}`);
  return { db: url.toString(), drop: () => onDatabase(`drop schema ${schema} cascade`) };
}
