import type { CommandModule } from 'yargs';
import type { UserView } from '../../../application/views.js';
import { CliContext, type GlobalArgs } from '../cli-context.js';

/** `chatctl whoami`: asks the server whose session this profile holds. */
export const whoamiCommand: CommandModule<GlobalArgs, GlobalArgs> = {
  command: 'whoami',
  describe: 'Show who this profile is logged in as, checked with the server',
  handler: async (args) => {
    const context = new CliContext(args);
    const { client, server } = await context.session();
    try {
      const { user } = await client.request<{ user: UserView }>('whoami');
      context.print(`${user.username}${user.isAdmin ? ' (admin)' : ''} on ${server}`, { user, server });
    } finally {
      await client.close();
    }
  },
};
