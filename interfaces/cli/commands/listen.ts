import type { ArgumentsCamelCase, CommandModule } from 'yargs';
import type { ChatClient } from '../../client/chat-client.js';
import { CliError, EXIT } from '../exit-codes.js';
import { CliContext, type GlobalArgs } from '../cli-context.js';
import { Inbox, presenceLine } from '../inbox.js';
import { eventJson } from '../json-output.js';

/** Says why the server ended a session, with the exit status that goes with it. */
export function kickedError(reason: string, message: string): CliError {
  const exitCode = reason === 'SERVER_SHUTDOWN' ? EXIT.UNREACHABLE : EXIT.NOT_LOGGED_IN;
  return new CliError(exitCode, `disconnected: ${message}`, reason);
}

/** Says why a long-lived connection ended on the server's side: it closed, or stopped answering. */
export function connectionLost(client: ChatClient): CliError {
  const why = client.closeReason?.message ?? 'the server closed the connection';
  return new CliError(EXIT.UNREACHABLE, `the connection to the server was lost: ${why}`, 'CONNECTION_LOST');
}

/**
 * `chatctl listen`: stays attached and prints what the server pushes until Ctrl-C or a newer
 * login; with --json, one JSON object per line (NDJSON) per event.
 */
export const listenCommand: CommandModule<GlobalArgs, GlobalArgs> = {
  command: 'listen',
  describe: 'Stay connected and print messages as they arrive, the ones that waited first (Ctrl-C to stop)',
  builder: (yargs) => yargs.example('$0 listen --json', 'One JSON object a line, for scripts'),
  handler: async (args: ArgumentsCamelCase<GlobalArgs>) => {
    const context = new CliContext(args);
    const { client } = await context.session();
    const inbox = await Inbox.open(context, client);
    let stopped = false;
    const stop = () => {
      stopped = true;
      inbox.stop();
      // What this last flush cannot acknowledge comes back at the next attach, and `seen` keeps it from showing twice.
      void inbox
        .flush()
        .catch(() => undefined)
        .finally(() => client.close());
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    const events = client.events();
    const { user } = await client.request('attach').catch(async (error: unknown) => {
      // Refused (or the server cannot attach now, HUB_UNAVAILABLE): say so and exit, rather than wait on an open connection.
      inbox.stop();
      await client.close();
      throw error;
    });
    if (!args.json) process.stderr.write(`listening as ${user.username}; Ctrl-C to stop\n`);
    for await (const event of events) {
      if (event.type === 'kicked') {
        // On the stream too, as an event; the error document and exit status follow, as for any failure.
        if (args.json) process.stdout.write(`${JSON.stringify(eventJson(event))}\n`);
        inbox.stop();
        await client.close();
        throw kickedError(event.reason, event.message);
      }
      if (event.type === 'message') inbox.receive(event.id, event.message);
      else {
        const line = presenceLine(args.json, event);
        if (line !== null) process.stdout.write(`${line}\n`);
      }
    }
    inbox.stop();
    if (!stopped) throw connectionLost(client);
  },
};
