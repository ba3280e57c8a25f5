import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Redis } from 'ioredis';
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

/** The `serve` flags that put one run's nodes on one Redis hub, and how to clear its keys away after. */
export interface RunHub {
  readonly serveFlags: readonly string[];
  drop(): Promise<void>;
}

/**
 * A key and channel prefix of the run's own on that Redis, so runs and tests sharing it never
 * meet; its keys (presence sets, node heartbeats, the kick stream) are deleted after the
 * nodes stop. No flags, nothing to drop, when the run has no `--hub`.
 */
export async function runHub(redis: string | undefined): Promise<RunHub> {
  if (redis === undefined) return { serveFlags: [], drop: async () => {} };
  const prefix = `parley-bench:${process.pid}-${randomBytes(4).toString('hex')}:`;
  const onRedis = async <T>(work: (client: Redis) => Promise<T>) => {
    const client = new Redis(redis, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    client.on('error', () => {});
    await client.connect().catch((error: unknown) => {
      throw new Error(`the Redis at ${redis} (--hub) cannot be reached: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    });
    try {
      return await work(client);
    } finally {
      client.disconnect();
    }
  };
  await onRedis((client) => client.ping());
  return {
    serveFlags: ['--hub', redis, '--hub-prefix', prefix],
    drop: () =>
      onRedis(async (client) => {
        const keys = await client.keys(`${prefix}*`);
        if (keys.length > 0) await client.del(...keys);
      }),
  };
}
