import Table from 'cli-table3';
import type { CommandModule } from 'yargs';
import type { FriendView } from '../../../application/friend-service.js';
import { CliContext, type GlobalArgs } from '../cli-context.js';
import { displayName } from '../display.js';

/** `chatctl friends`: each friend with whether they are online. */
export function friendsCommand(shared?: CliContext['shared']): CommandModule<GlobalArgs, GlobalArgs> {
  return {
    command: 'friends',
    describe: 'List your friends and who is online',
    handler: async (args) => {
      const context = new CliContext(args, shared);
      await context.with(context.session(), async ({ client }) => {
        const { friends } = await client.request<{ friends: FriendView[] }>('friends');
        const table = new Table({ head: ['friend', 'status'], style: { head: [], border: [] } });
        for (const friend of friends) table.push([displayName(friend.username), friend.online ? 'online' : 'offline']);
        context.print(friends.length === 0 ? 'no friends yet: add one with `chatctl add <username>`' : table.toString(), { friends });
      });
    },
  };
}
