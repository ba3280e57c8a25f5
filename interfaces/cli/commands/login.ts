import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import type { UserView } from '../../../application/views.js';
import { CliContext, type ArgsOf, type GlobalArgs } from '../cli-context.js';
import { askPassword, readPasswordFromStdin } from '../password-input.js';

const builder = (yargs: Argv<GlobalArgs>) =>
  yargs
    .positional('username', { type: 'string', demandOption: true })
    .positional('password', { type: 'string', describe: 'Asked for without echo when left out (a password here shows in `ps` and shell history)' })
    .option('password-stdin', { type: 'boolean', default: false, describe: 'Read the password from standard input (for scripts)' });

/** `chatctl login`: starts a session (ending any other one of that user) and keeps its token in the profile. */
export const loginCommand: CommandModule<GlobalArgs, ArgsOf<typeof builder>> = {
  command: 'login <username> [password]',
  describe: 'Log in; a login elsewhere ends this session, and this one ends any other',
  builder,
  handler: async (args: ArgumentsCamelCase<ArgsOf<typeof builder>>) => {
    const context = new CliContext(args);
    const password = args.password ?? (args.passwordStdin ? await readPasswordFromStdin() : await askPassword('Password:'));
    const { client, server } = await context.connect();
    try {
      const result = await client.request<{ token: string; user: UserView; welcome: string }>('login', {
        username: args.username,
        password,
      });
      await context.profiles.write({ server, token: result.token, username: result.user.username, isAdmin: result.user.isAdmin });
      context.print(`${result.welcome}${result.user.isAdmin ? ' (admin)' : ''}`, { user: result.user, welcome: result.welcome });
    } finally {
      await client.close();
    }
  },
};
