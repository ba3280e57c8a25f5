import type { CommandModule } from 'yargs';
import { CliContext, type GlobalArgs } from '../cli-context.js';
import { userJson } from '../json-output.js';

/** `chatctl whoami`: asks the server whose session this profile holds. */
export function whoamiCommand(shared?: CliContext['shared']): CommandModule<GlobalArgs, GlobalArgs> {
  return {
    command: 'whoami',
    describe: 'Show who this profile is logged in as, checked with the server',
    builder: (yargs) => yargs.example('$0 whoami --profile work', 'Who the "work" profile is logged in as'),
    handler: async (args) => {
      const context = new CliContext(args, shared);
      await context.with(context.session(), async ({ client, server }) => {
        const { user } = await client.request('whoami');
        context.print(`${user.username}${user.isAdmin ? ' (admin)' : ''} on ${server}`, { user: userJson(user), server });
      });
    },
  };
}
