import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { CliContext, type ArgsOf, type GlobalArgs } from '../cli-context.js';
import { messageArguments, messageText } from '../message-input.js';

const builder = (yargs: Argv<GlobalArgs>) =>
  messageArguments(yargs.positional('username', { type: 'string', demandOption: true, describe: 'A friend' }))
    .example('$0 send bob see you at 8', 'Send "see you at 8" to bob')
    .example('$0 send bob -- use --json for scripts', 'After --, words that look like options are text')
    .example('fortune | $0 send bob -', 'Send standard input as the text');

/** `chatctl send`: a private message to a friend; `ok` means it is stored and will arrive. */
export function sendCommand(shared?: CliContext['shared']): CommandModule<GlobalArgs, ArgsOf<typeof builder>> {
  return {
    command: ['send <username> [message..]', '.send'],
    describe: 'Send a private message to a friend (kept for them if they are offline)',
    builder,
    handler: async (args: ArgumentsCamelCase<ArgsOf<typeof builder>>) => {
      const context = new CliContext(args, shared);
      const text = await messageText(args, shared !== undefined, 'chatctl send <username> <message..>');
      const { message } = await context.sendMessage('send', { to: args.username, text });
      context.print(`sent to ${message.to}`, { message: { id: message.id, to: message.to, sentAt: message.sentAt } });
    },
  };
}
