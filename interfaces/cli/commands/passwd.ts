import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { userJson } from '../json-output.js';
import { CliContext, type ArgsOf, type GlobalArgs } from '../cli-context.js';
import { readPasswordLinesFromStdin } from '../password-input.js';

const builder = (yargs: Argv<GlobalArgs>) =>
  yargs.option('password-stdin', { type: 'boolean', default: false, describe: 'Read the current password, then the new one, one per line from standard input (for scripts)' })
    .example('$0 passwd', 'Asks your current password, then the new one twice')
    .example('printf \'%s\\n%s\\n\' "$OLD" "$NEW" | $0 passwd --password-stdin', 'The same from a script');

/**
 * `chatctl passwd`: changes your own password; asks the current one, then the new one twice,
 * without echo. Every other session of yours ends; this profile keeps working with the new token.
 */
export function passwdCommand(shared?: CliContext['shared']): CommandModule<GlobalArgs, ArgsOf<typeof builder>> {
  return {
    command: 'passwd',
    describe: 'Change your password: your other sessions and listeners end, this profile stays logged in',
    builder,
    handler: async (args: ArgumentsCamelCase<ArgsOf<typeof builder>>) => {
      const context = new CliContext(args, shared);
      await context.assertLoggedIn();
      const [password = '', newPassword = ''] = args.passwordStdin
        ? await readPasswordLinesFromStdin(2)
        : [await context.askPassword('Current password: '), await context.askNewPassword('New password')];
      const { user, token } = await context.with(context.session(), ({ client }) =>
        client.request('passwd', { password, newPassword }).then((answer) => {
          client.token = answer.token;
          return answer;
        }),
      );
      await context.profiles.update((profile) => ({ ...profile, token }));
      context.print(`password changed for ${user.username}; other sessions have ended`, { user: userJson(user) });
    },
  };
}
