import { expect } from 'chai';
import { join } from 'node:path';
import { chatctl, ServerProcess, temporaryDirectory } from '../support/processes.js';
import { onTestPostgres, Outage, testSchema, type TestSchema } from '../support/postgres.js';
import { eventually, expectOk } from '../support/world.js';

describe('chatctl serve on PostgreSQL, end to end with real processes', function () {
  this.timeout(60_000);

  it('refuses a wrong or unreachable database with one line and exit 3, and a pool of no connections with exit 2, before listening', async () => {
    const cases: [string, RegExp][] = [
      ['postgres://postgres@127.0.0.1:1/test', /^chatctl: cannot open the PostgreSQL database 127\.0\.0\.1:1\/test: connect ECONNREFUSED 127\.0\.0\.1:1$/],
      ['postgres://postgres@127.0.0.1:5432/no_such_database', /^chatctl: cannot open the PostgreSQL database 127\.0\.0\.1:5432\/no_such_database: database "no_such_database" does not exist$/],
      ['postgres://user@/chat', /^chatctl: bad PostgreSQL URL "postgres:\/\/user@\/chat": use postgres:\/\/user\[:password\]@host\[:port\]\/database$/],
    ];
    for (const [db, line] of cases) {
      const serve = await chatctl(['serve', '--port', '0', '--db', db], {});
      expect(serve.code, db).to.equal(3);
      expect(serve.stderr.split('\n'), db).to.have.length(1);
      expect(serve.stderr, db).to.match(line);
    }
    const pool = await chatctl(['serve', '--port', '0', '--db', 'memory', '--max-db-connections', '0'], {});
    expect(pool.code).to.equal(2);
    expect(pool.stderr).to.contain('chatctl: --max-db-connections must be a positive whole number (got 0)');
  });

  describe('with a database', () => {
    let schema: TestSchema;
    let outage: Outage;
    let server: ServerProcess;
    let home: ReturnType<typeof temporaryDirectory>;
    const as = (name: string) => ({ CHATCTL_HOME: join(home.path, 'home'), CHATCTL_SERVER: server.address, CHATCTL_PROFILE: name });

    beforeEach(async () => {
      home = temporaryDirectory();
      schema = await testSchema();
      outage = new Outage();
      await outage.up();
      server = await ServerProcess.start(outage.urlFor(schema), ['--db-lock-timeout', '1']);
      for (const name of ['alice', 'bob']) {
        await expectOk(chatctl(['reg', name, '--password-stdin'], as(name), `pw-${name}-123\n`));
        await expectOk(chatctl(['login', name, `pw-${name}-123`], as(name)));
      }
    });
    afterEach(async () => {
      await outage.up();
      await server.stop();
      await outage.down();
      await schema.drop();
      home.remove();
    });

    it('stores there, lets promote work on it, answers STORAGE_UNAVAILABLE while it is away and recovers without a restart', async () => {
      const promoted = await expectOk(chatctl(['promote', 'alice', '--db', schema.url], as('alice')));
      expect(promoted.stdout).to.equal('alice is now an admin (they see it at their next login)');
      await expectOk(chatctl(['add', 'bob'], as('alice')));
      await expectOk(chatctl(['send', 'bob', 'before'], as('alice')));

      await outage.down();
      const refused = await chatctl(['send', 'bob', 'during'], as('alice'));
      expect([refused.code, refused.stderr]).to.deep.equal([3, 'chatctl: the server cannot reach its database: try again in 1 s (a send repeated with its clientMsgId is stored once)']);

      await outage.up();
      await eventually(async () => (await chatctl(['send', 'bob', 'after'], as('alice'))).code === 0);
      const queued = await onTestPostgres((client) => client.query<{ body: string }>(`select body from ${schema.name}.offline_messages where kind = 'private' order by id`));
      expect(queued.rows.map((row) => row.body)).to.deep.equal(['before', 'after']);
      expect(server.running.child.exitCode).to.equal(null);
    });
  });
});
