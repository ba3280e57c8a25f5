import type { CommandModule } from 'yargs';
import { ChatError } from '../../client/chat-error.js';
import { CliContext, type GlobalArgs } from '../cli-context.js';

/** `chatctl logout`: ends the session on the server and forgets the token. */
export function logoutCommand(shared?: CliContext['shared']): CommandModule<GlobalArgs, GlobalArgs> {
  return {
    command: 'logout',
    describe: 'Log out: the token stops working and attached listeners are disconnected',
    builder: (yargs) => yargs.example('$0 logout', 'End this profile\'s session'),
    handler: async (args) => {
      const context = new CliContext(args, shared);
      const { profile } = await context.with(context.session(), async (lease) => {
        try {
          await lease.client.request('logout');
        } catch (error) {
          // A session already ended elsewhere is as logged out as it gets.
          if (!(error instanceof ChatError && (error.code === 'SESSION_EXPIRED' || error.code === 'TOKEN_EXPIRED'))) throw error;
        }
        lease.client.token = undefined;
        return lease;
      });
      await context.profiles.update(({ server }) => ({ server }));
      context.print(`logged out ${profile.username ?? ''}`.trim(), { username: profile.username });
    },
  };
}
