import { randomBytes } from 'node:crypto';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import pg from 'pg';

/** The PostgreSQL the tests use; each test works in a schema of its own there. */
export const TEST_POSTGRES = process.env.PARLEY_TEST_POSTGRES ?? 'postgres://postgres@127.0.0.1:5432/test';

/** A schema made for one test: the storage URL that works in it, and how to drop it. */
export interface TestSchema {
  readonly name: string;
  /** TEST_POSTGRES with `options=-c search_path=<schema>`: everything opened with it lives in the schema. */
  readonly url: string;
  drop(): Promise<void>;
}

/** Runs one statement on a connection of its own; an unreachable server fails with one line that says so. */
export async function onTestPostgres<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: TEST_POSTGRES, connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
  } catch (error) {
    throw new Error(`the PostgreSQL for tests is unreachable at ${TEST_POSTGRES} (set PARLEY_TEST_POSTGRES): ${(error as Error).message}`, { cause: error });
  }
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** Creates a schema with a name no other test or run uses. */
export async function testSchema(): Promise<TestSchema> {
  const name = `parley_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  await onTestPostgres((client) => client.query(`create schema ${name}`));
  const url = new URL(TEST_POSTGRES);
  url.searchParams.set('options', `-c search_path=${name}`);
  return {
    name,
    url: url.toString(),
    drop: () => onTestPostgres((client) => client.query(`drop schema ${name} cascade`)).then(() => undefined),
  };
}

/** A TCP proxy in front of the test PostgreSQL that a test can take away and bring back on the same port. */
export class Outage {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  port = 0;

  async up(): Promise<void> {
    if (this.server?.listening) return;
    const target = new URL(TEST_POSTGRES);
    this.server = createServer((client) => {
      const upstream = connect({ host: target.hostname, port: Number(target.port || 5432) });
      for (const socket of [client, upstream]) {
        this.sockets.add(socket);
        socket.on('close', () => this.sockets.delete(socket));
        socket.on('error', () => undefined);
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve, reject) => this.server!.once('error', reject).listen(this.port, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  /** The schema's URL, through this proxy. */
  urlFor(schema: TestSchema): string {
    const url = new URL(schema.url);
    url.hostname = '127.0.0.1';
    url.port = String(this.port);
    return url.toString();
  }

  /** Closes the port and cuts every connection through it, as a database that went away. */
  async down(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise((resolve) => this.server?.close(resolve));
  }
}
