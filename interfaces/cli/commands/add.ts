import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { CliContext, type ArgsOf, type GlobalArgs } from '../cli-context.js';
import { userJson } from '../json-output.js';

const builder = (yargs: Argv<GlobalArgs>) => yargs.positional('username', { type: 'string', demandOption: true, describe: 'Who to befriend' }).example('$0 add bob', 'You and bob become friends');

/** `chatctl add`: makes a mutual friendship at once; the other user is told. */
export function addCommand(shared?: CliContext['shared']): CommandModule<GlobalArgs, ArgsOf<typeof builder>> {
  return {
    command: 'add <username>',
    describe: 'Add a friend (both become friends at once; they are told)',
    builder,
    handler: async (args: ArgumentsCamelCase<ArgsOf<typeof builder>>) => {
      const context = new CliContext(args, shared);
      await context.with(context.session(), async ({ client }) => {
        const { friend } = await client.request('add', { username: args.username });
        context.print(`${friend.username} is now your friend (${friend.online ? 'online' : 'offline'})`, { user: userJson(friend) });
      });
    },
  };
}
