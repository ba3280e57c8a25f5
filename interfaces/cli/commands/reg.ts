import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { CliContext, type ArgsOf, type GlobalArgs } from '../cli-context.js';
import { userJson } from '../json-output.js';
import { readPasswordFromStdin } from '../password-input.js';

const builder = (yargs: Argv<GlobalArgs>) =>
  yargs
    .positional('username', { type: 'string', demandOption: true, describe: '3-32 characters: a-z, 0-9, "_", "-"; starts with a letter; case-insensitive' })
    .option('password-stdin', { type: 'boolean', default: false, describe: 'Read the password from standard input (for scripts)' })
    .example('$0 reg alice', 'Asks for a password twice; then `chatctl login alice`');

/** `chatctl reg`: creates an account; asks the password twice without echo. */
export function regCommand(shared?: CliContext['shared']): CommandModule<GlobalArgs, ArgsOf<typeof builder>> {
  return {
    command: 'reg <username>',
    describe: 'Register a new user',
    builder,
    handler: async (args: ArgumentsCamelCase<ArgsOf<typeof builder>>) => {
      const context = new CliContext(args, shared);
      const password = args.passwordStdin ? await readPasswordFromStdin() : await context.askNewPassword();
      await context.with(context.connect(), async ({ client }) => {
        const { user } = await client.request('register', { username: args.username, password });
        context.print(`registered ${user.username}; log in with: chatctl login ${user.username}`, { user: userJson({ ...user, online: false }) });
      });
    },
  };
}
