import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { userJson } from '../json-output.js';
import { CliContext, type ArgsOf, type GlobalArgs } from '../cli-context.js';
import { readPasswordFromStdin } from '../password-input.js';

const builder = (yargs: Argv<GlobalArgs>) =>
  yargs.option('password-stdin', { type: 'boolean', default: false, describe: 'Read the password from standard input (for scripts)' })
    .example('$0 unregister', 'Asks your password, then deletes your account and forgets this session');

/** `chatctl unregister`: deletes your own account once your password is given again, and forgets the session. */
export function unregisterCommand(shared?: CliContext['shared']): CommandModule<GlobalArgs, ArgsOf<typeof builder>> {
  return {
    command: 'unregister',
    describe: 'Delete your account for good: your queue, friendships and the groups you created go with it',
    builder,
    handler: async (args: ArgumentsCamelCase<ArgsOf<typeof builder>>) => {
      const context = new CliContext(args, shared);
      await context.assertLoggedIn();
      const password = args.passwordStdin ? await readPasswordFromStdin() : await context.askPassword('Password (to delete your account): ');
      const { user } = await context.with(context.session(), async ({ client }) => {
        const answer = await client.request('unregister', { password });
        client.token = undefined;
        return answer;
      });
      await context.profiles.update(({ server }) => ({ server }));
      context.print(`deleted the account ${user.username}`, { user: userJson(user) });
    },
  };
}
