import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { CliContext, type ArgsOf, type GlobalArgs } from '../cli-context.js';
import { CliError, EXIT } from '../exit-codes.js';

const builder = (yargs: Argv<GlobalArgs>) =>
  yargs
    .positional('username', { type: 'string', demandOption: true, describe: 'A friend' })
    .positional('message', { type: 'string', array: true, demandOption: true, describe: 'The text; the words are joined with spaces' })
    .parserConfiguration({ 'parse-numbers': false, 'parse-positional-numbers': false });

/** `chatctl send`: a private message to a friend; `ok` means it is stored and will arrive. */
export function sendCommand(shared?: CliContext['shared']): CommandModule<GlobalArgs, ArgsOf<typeof builder>> {
  return {
    command: ['send <username> <message..>', '.send'],
    describe: 'Send a private message to a friend (kept for them if they are offline)',
    builder,
    handler: async (args: ArgumentsCamelCase<ArgsOf<typeof builder>>) => {
      const context = new CliContext(args, shared);
      const text = args.message.map(String).join(' ');
      if (args.message.length === 0) throw new CliError(EXIT.USAGE, 'say something: chatctl send <username> <message..>', 'USAGE');
      const { message } = await context.sendMessage('send', { to: args.username, text });
      context.print(`sent to ${message.to}`, { message });
    },
  };
}
