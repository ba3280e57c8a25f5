import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { CliContext, type CliDependencies, type ArgsOf, type GlobalArgs } from '../cli-context.js';
import { CliError, EXIT } from '../exit-codes.js';
import { userJson } from '../json-output.js';
import { serverLogger } from '../server-logger.js';
import { OPERATOR_SETTINGS, SERVER_SETTINGS } from '../server-settings.js';
import { envName, resolveSettings, settingOptions } from '../settings.js';
import { configFile, storageOf } from './serve.js';

const builder = (yargs: Argv<GlobalArgs>) =>
  yargs
    .positional('username', { type: 'string', demandOption: true, describe: 'An existing user' })
    .options(settingOptions(OPERATOR_SETTINGS))
    .option('config', { type: 'string', describe: `The server's config file, to use its db and log-file [env ${envName('config')}]` })
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
      const settings = resolveSettings(OPERATOR_SETTINGS, args, process.env, configFile(args.config, process.env), SERVER_SETTINGS).values;
      const app = await createApp({ storage: existingStorage(settings.db) });
      try {
        const user = await app.accounts.promote(args.username, !args.revoke);
        // Where the server's audit lines go: its log file when it has one, else standard error.
        serverLogger({ file: settings['log-file'] }).info(
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
