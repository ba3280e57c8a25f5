import { pino } from 'pino';
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { CliContext, type CliDependencies, type ArgsOf, type GlobalArgs } from '../cli-context.js';
import { userJson } from '../json-output.js';
import { DEFAULT_DB, storageOf } from './serve.js';

const builder = (yargs: Argv<GlobalArgs>) =>
  yargs
    .positional('username', { type: 'string', demandOption: true, describe: 'An existing user' })
    .option('db', { type: 'string', default: DEFAULT_DB, describe: 'The server\'s SQLite database file or PostgreSQL URL' })
    .option('revoke', { type: 'boolean', default: false, describe: 'Take admin rights away instead' });

/** `chatctl promote`: the operator's way to make the first admin, straight on the database. */
export function promoteCommand({ createApp }: CliDependencies): CommandModule<GlobalArgs, ArgsOf<typeof builder>> {
  return {
    command: 'promote <username>',
    describe: 'Make a user an admin, straight on the database (works while the server runs)',
    builder,
    handler: async (args: ArgumentsCamelCase<ArgsOf<typeof builder>>) => {
      const app = await createApp({ storage: storageOf(args.db) });
      try {
        const user = await app.accounts.promote(args.username, !args.revoke);
        // Like the server's audit lines, on standard error, so the operator's action leaves a trace.
        pino({ name: 'parley' }, pino.destination(2)).info(
          { audit: true, admin: 'operator', action: args.revoke ? 'revoke' : 'promote', target: user.username },
          `operator: ${args.revoke ? 'revoke' : 'promote'} ${user.username}`,
        );
        new CliContext(args).print(
          user.isAdmin ? `${user.username} is now an admin (they see it at their next login)` : `${user.username} is no longer an admin`,
          { user: userJson(user) },
        );
      } finally {
        await app.close();
      }
    },
  };
}
