import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import type { WireFriend } from '../../wire/operations.js';
import { CliContext, type ArgsOf, type GlobalArgs } from '../cli-context.js';
import { displayName } from '../display.js';
import { userJson } from '../json-output.js';
import { printListing, pagingOptions, readListing } from '../listing.js';

const builder = (yargs: Argv<GlobalArgs>) => pagingOptions(yargs).example('$0 friends --json', 'Your friends as JSON, for scripts');

/** `chatctl friends`: each friend with whether they are online, every page unless `--limit` asks for one. */
export function friendsCommand(shared?: CliContext['shared']): CommandModule<GlobalArgs, ArgsOf<typeof builder>> {
  return {
    command: 'friends',
    describe: 'List your friends and who is online',
    builder,
    handler: async (args: ArgumentsCamelCase<ArgsOf<typeof builder>>) => {
      const context = new CliContext(args, shared);
      await context.with(context.session(), async ({ client }) => {
        const listing = await readListing<WireFriend>(client, 'friends', 'friends', {}, args);
        const friends = listing.items;
        printListing(context, listing, {
          head: ['friend', 'presence'],
          row: (friend) => [displayName(friend.username), friend.online ? 'online' : 'offline'],
          json: { friends: friends.map(userJson) },
          empty: args.cursor ? undefined : 'no friends yet: add one with `chatctl add <username>`',
        });
      });
    },
  };
}
