/**
 * A parley bot: logs in, answers every private message it receives, acknowledges what it
 * handled, and stops cleanly on SIGINT or SIGTERM. `!time` gets the time, `!help` the
 * commands, anything else an echo.
 *
 *   node dist/examples/bot/bot.js [username] [password] [host:port]
 *
 * Each argument left out is read from PARLEY_BOT_USERNAME, PARLEY_BOT_PASSWORD and
 * PARLEY_SERVER (default 127.0.0.1:7878). Only friends can message each other: add the bot
 * as a friend first (`chatctl add <bot>`).
 */
import { ChatClient, ChatError, type MessagePayload } from 'parley/client';

const say = (line: string) => process.stdout.write(`${line}\n`);
const complain = (line: string) => process.stderr.write(`${line}\n`);

/** What the bot says back to `text`. */
function answer(text: string): string {
  switch (text.trim()) {
    case '!time':
      return `it is ${new Date().toISOString()}`;
    case '!help':
      return 'I answer !time with the time, and echo anything else';
    default:
      return `you said: ${text}`;
  }
}

function parseServer(server: string): { host: string; port: number } {
  const match = /^(.+):(\d{1,5})$/.exec(server);
  if (!match) throw new Error(`"${server}" is not host:port`);
  return { host: match[1]!, port: Number(match[2]) };
}

async function main(): Promise<void> {
  const [username = process.env.PARLEY_BOT_USERNAME, password = process.env.PARLEY_BOT_PASSWORD, server = process.env.PARLEY_SERVER ?? '127.0.0.1:7878'] =
    process.argv.slice(2);
  if (!username || !password) {
    complain('usage: bot.js <username> <password> [host:port] (or PARLEY_BOT_USERNAME, PARLEY_BOT_PASSWORD, PARLEY_SERVER)');
    process.exitCode = 2;
    return;
  }
  const client = await ChatClient.connect(parseServer(server));
  let stopping = false;
  const stop = () => {
    stopping = true;
    void client.close();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);

  // Listen before logging in: the login pushes the messages that waited for the bot.
  const events = client.events();
  const { user, backlog } = await client.login(username, password);
  say(`logged in as ${user.username} (${backlog} waiting); answering private messages`);
  try {
    for await (const event of events) {
      if (event.type === 'kicked') {
        complain(`bot: ${event.message}`);
        process.exitCode = 1;
        break;
      }
      // Presence changes are not for the bot.
      if (event.type !== 'message') continue;
      await reply(client, event.message);
      await client.ack([event.id]);
    }
  } catch (error) {
    // Closing on a signal may cut a reply or an ack short: the server keeps what was not acknowledged.
    if (!(stopping && error instanceof ChatError && error.status === 'connection')) throw error;
  }
  await client.close();
  say('stopped');
}

/** Answers a private message; a message the bot cannot answer (an admin who is no friend) is only logged. */
async function reply(client: ChatClient, message: MessagePayload): Promise<void> {
  if (message.kind !== 'private') return;
  try {
    await client.send(message.from, answer(message.text));
    say(`answered ${message.from}`);
  } catch (error) {
    if (!(error instanceof ChatError && error.status === 'fail')) throw error;
    complain(`bot: could not answer ${message.from}: ${error.message}`);
  }
}

main().catch((error: unknown) => {
  complain(`bot: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});
