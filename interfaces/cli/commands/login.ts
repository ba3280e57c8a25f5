import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import type { ServerEvent } from '../../client/chat-client.js';
import type { MessagePayload } from '../../wire/message-payload.js';
import { CliContext, type ArgsOf, type GlobalArgs } from '../cli-context.js';
import { Inbox } from '../inbox.js';
import { eventJson, userJson, type EventJson } from '../json-output.js';
import { readPasswordFromStdin } from '../password-input.js';

const builder = (yargs: Argv<GlobalArgs>) =>
  yargs
    .positional('username', { type: 'string', demandOption: true })
    .positional('password', { type: 'string', describe: 'Asked for without echo when left out (a password here shows in `ps` and shell history)' })
    .option('password-stdin', { type: 'boolean', default: false, describe: 'Read the password from standard input (for scripts)' })
    .example('$0 login alice', 'Asks for the password, then prints what waited for alice')
    .example('$0 login alice --password-stdin < pass.txt', 'For scripts');

/**
 * `chatctl login`: starts a session (ending any other one of that user), keeps its token in
 * the profile, and prints what waited for the user. The server sends that backlog before
 * its answer, so once the answer is in, every waiting message has been received.
 */
export function loginCommand(shared?: CliContext['shared']): CommandModule<GlobalArgs, ArgsOf<typeof builder>> {
  return {
    command: 'login <username> [password]',
    describe: 'Log in and print messages that waited; a login elsewhere ends this session, and this one ends any other',
    builder,
    handler: async (args: ArgumentsCamelCase<ArgsOf<typeof builder>>) => {
      const context = new CliContext(args, shared);
      const password = args.password ?? (args.passwordStdin ? await readPasswordFromStdin() : await context.askPassword('Password: '));
      await context.with(context.connect(), async ({ client, server, profile }) => {
        const backlog: { id: number; message: MessagePayload }[] = [];
        const collect = (event: ServerEvent) => {
          if (event.type === 'message') backlog.push(event);
        };
        if (!shared) client.on('event', collect);
        client.token = undefined;
        const result = await client.request('login', { username: args.username, password });
        client.off('event', collect);
        const sameUser = profile.username === result.user.username && profile.server === server;
        await context.profiles.write({ server, token: result.token, username: result.user.username, isAdmin: result.user.isAdmin, seen: sameUser ? profile.seen : [] });
        const waiting = result.backlog === 0 ? '' : `; ${result.backlog} message${result.backlog === 1 ? '' : 's'} waited for you`;
        const human = `${result.welcome}${result.user.isAdmin ? ' (admin)' : ''}${waiting}`;
        const user = userJson({ ...result.user, online: true });
        if (shared) return context.print(human, { user, welcome: result.welcome, backlog: result.backlog, messages: [] });
        // With --json the messages go in the one document, printed before they are acknowledged, as the inbox shows lines.
        const messages: EventJson[] = [];
        if (!args.json) context.print(human, undefined);
        const inbox = await Inbox.open(context, client, args.json ? (_line, delivery) => messages.push(eventJson(delivery)) : undefined);
        for (const { id, message } of backlog) inbox.receive(id, message);
        if (args.json) context.print(human, { user, welcome: result.welcome, backlog: result.backlog, messages });
        await inbox.flush();
      });
    },
  };
}
