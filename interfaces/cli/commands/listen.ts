import type { ArgumentsCamelCase, CommandModule } from 'yargs';
import { CliError, EXIT } from '../exit-codes.js';
import { CliContext, type GlobalArgs } from '../cli-context.js';
import { formatMessage } from '../message-format.js';

/** `chatctl listen`: stays attached and prints what the server pushes until Ctrl-C or a newer login. */
export const listenCommand: CommandModule<GlobalArgs, GlobalArgs> = {
  command: 'listen',
  describe: 'Stay connected and print messages as they arrive (Ctrl-C to stop)',
  handler: async (args: ArgumentsCamelCase<GlobalArgs>) => {
    const context = new CliContext(args);
    const { client } = await context.session();
    const { user } = await client.request<{ user: { username: string } }>('attach');
    if (!args.json) process.stderr.write(`listening as ${user.username}; Ctrl-C to stop\n`);
    let stopped = false;
    const stop = () => {
      stopped = true;
      void client.close();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    for await (const event of client.events()) {
      if (event.type === 'kicked') {
        await client.close();
        const exitCode = event.reason === 'SERVER_SHUTDOWN' ? EXIT.UNREACHABLE : EXIT.NOT_LOGGED_IN;
        throw new CliError(exitCode, event.message === '' ? event.reason : `disconnected: ${event.message}`, event.reason);
      }
      context.print(formatMessage(event.message), { id: event.id, ...event.message });
    }
    if (!stopped) throw new CliError(EXIT.UNREACHABLE, 'the connection to the server was lost', 'CONNECTION_LOST');
  },
};
