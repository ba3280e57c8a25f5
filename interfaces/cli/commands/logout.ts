import type { CommandModule } from 'yargs';
import { ChatRequestError } from '../../client/chat-client.js';
import { CliContext, type GlobalArgs } from '../cli-context.js';

/** `chatctl logout`: ends the session on the server and forgets the token. */
export const logoutCommand: CommandModule<GlobalArgs, GlobalArgs> = {
  command: 'logout',
  describe: 'Log out: the token stops working and attached listeners are disconnected',
  handler: async (args) => {
    const context = new CliContext(args);
    const { client, profile } = await context.session();
    try {
      await client.request('logout');
    } catch (error) {
      // A session already ended elsewhere is as logged out as it gets.
      if (!(error instanceof ChatRequestError && error.code === 'SESSION_EXPIRED')) throw error;
    } finally {
      await client.close();
    }
    await context.profiles.update(({ server }) => ({ server }));
    context.print(`logged out ${profile.username ?? ''}`.trim(), { username: profile.username });
  },
};
