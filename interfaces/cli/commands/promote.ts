import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pino } from 'pino';
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { CliContext, type CliDependencies, type ArgsOf, type GlobalArgs } from '../cli-context.js';
import { CliError, EXIT } from '../exit-codes.js';
import { DEFAULT_DB, storageOf } from './serve.js';

const builder = (yargs: Argv<GlobalArgs>) =>
  yargs
    .positional('username', { type: 'string', demandOption: true, describe: 'An existing user' })
    .option('db', { type: 'string', default: DEFAULT_DB, describe: 'The server\'s SQLite database file or PostgreSQL URL' })
    .option('revoke', { type: 'boolean', default: false, describe: 'Take admin rights away instead' });

/**
 * The storage of an existing database, for the commands that open it directly: a SQLite file
 * that is not there is refused (exit 2) rather than created empty, next to nothing the server uses.
 */
export function existingStorage(db: string): string {
  const storage = storageOf(db);
  if (storage.startsWith('sqlite:') && !existsSync(db)) {
    throw new CliError(EXIT.USAGE, `no database at ${resolve(db)} (did you mean --db <the file \`chatctl serve --db\` uses>?)`, 'NO_DATABASE');
  }
  return storage;
}

/** `chatctl promote`: the operator's way to make the first admin, straight on the database. */
export function promoteCommand({ createApp }: CliDependencies): CommandModule<GlobalArgs, ArgsOf<typeof builder>> {
  return {
    command: 'promote <username>',
    builder,
    handler: async (args: ArgumentsCamelCase<ArgsOf<typeof builder>>) => {
      const app = await createApp({ storage: existingStorage(args.db) });
      try {
        const user = await app.accounts.promote(args.username, !args.revoke);
        // Like the server's audit lines, on standard error, so the operator's action leaves a trace.
        pino({ name: 'parley' }, pino.destination(2)).info(
          { audit: true, admin: 'operator', action: args.revoke ? 'revoke' : 'promote', target: user.username },
          `operator: ${args.revoke ? 'revoke' : 'promote'} ${user.username}`,
        );
        new CliContext(args).print(
          user.isAdmin ? `${user.username} is now an admin (they see it at their next login)` : `${user.username} is no longer an admin`,
          { user },
        );
      } finally {
        await app.close();
      }
    },
  };
}
