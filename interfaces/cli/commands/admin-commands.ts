import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { CliContext, type ArgsOf, type GlobalArgs, type SharedConnection } from '../cli-context.js';
import { displayName } from '../display.js';
import { GROUP_COLUMNS, groupNotation, groupRow, parseFullGroupHandle } from '../group-format.js';
import { groupJson, userJson, type SentJson } from '../json-output.js';
import { pagingOptions, printListing, readListing } from '../listing.js';
import { messageArguments, messageText } from '../message-input.js';
import type { OperationArgs, OperationName, WireGroup, WireUserListing } from '../../wire/operations.js';

const user = (yargs: Argv<GlobalArgs>) => yargs.positional('username', { type: 'string', demandOption: true });
const userBuilder = (yargs: Argv<GlobalArgs>) => user(yargs).example('$0 unblockuser mallory', 'Let mallory log in again');
const resetBuilder = (yargs: Argv<GlobalArgs>) => user(yargs).example('$0 resetpassword bob', 'Print a new random password for bob, once, and end his sessions');
const deleteBuilder = (yargs: Argv<GlobalArgs>) => user(yargs).example('$0 deluser mallory', 'Delete mallory\'s account, queue, friendships and groups');
const blockUserBuilder = (yargs: Argv<GlobalArgs>) =>
  user(yargs).option('force', { type: 'boolean', default: false, describe: 'Ban even yourself or another admin' }).example('$0 blockuser mallory', 'Ban mallory and end their session');
const group = (yargs: Argv<GlobalArgs>) => yargs.positional('group', { type: 'string', demandOption: true, describe: 'The group as name@owner, such as team@alice' });
const groupBuilder = (yargs: Argv<GlobalArgs>) => group(yargs).example('$0 blockgroup team@alice', 'Ban (or with unblockgroup lift the ban of) the group "team" alice owns');
const adminsendBuilder = (yargs: Argv<GlobalArgs>) =>
  messageArguments(user(yargs)).example('$0 adminsend bob please rotate your password', 'A system message to bob, friend or not');
const adminsendgroupBuilder = (yargs: Argv<GlobalArgs>) =>
  messageArguments(group(yargs)).example('$0 adminsendgroup team@alice maintenance at 6', 'A system message to every member of alice\'s "team"');
const allusersBuilder = (yargs: Argv<GlobalArgs>) =>
  pagingOptions(yargs).option('online', { type: 'boolean', default: false, describe: 'Only users online now (attached, or gone less than the presence grace ago)' }).example('$0 allusers --online', 'Who is online now');
const allgroupBuilder = (yargs: Argv<GlobalArgs>) => pagingOptions(yargs).example('$0 allgroup', 'Every group and whether it is banned');

type Handler<B extends (yargs: Argv<GlobalArgs>) => Argv<unknown>> = (context: CliContext, args: ArgumentsCamelCase<ArgsOf<B>>) => Promise<void>;

/** The admin commands; the server refuses them to anyone else, whatever the client shows. */
export function adminCommands(shared: SharedConnection | undefined, visible: boolean): CommandModule<GlobalArgs, never>[] {
  function command<B extends (yargs: Argv<GlobalArgs>) => Argv<unknown>>(usage: string, describe: string, builder: B, run: Handler<B>) {
    return {
      command: usage,
      describe: visible ? `[admin] ${describe}` : false,
      builder,
      handler: async (args: ArgumentsCamelCase<ArgsOf<B>>) => {
        await run(new CliContext(args as unknown as GlobalArgs, shared), args);
      },
    } as unknown as CommandModule<GlobalArgs, never>;
  }
  const request = <Op extends OperationName>(context: CliContext, op: Op, args: OperationArgs<Op>) =>
    context.with(context.session(), ({ client }) => client.request(op, args));

  /** The name and creator the server wants for a group argument, which must say its owner. */
  const named = (group: string) => {
    const { name, owner } = parseFullGroupHandle(group);
    return { name, creator: owner };
  };

  return [
    command('allusers', 'Every user: admin, banned/active, online/offline', allusersBuilder, async (context, args) => {
      const listing = await context.with(context.session(), ({ client }) => readListing<WireUserListing>(client, 'allusers', 'users', { online: args.online }, args));
      printListing(context, listing, {
        head: ['user', 'role', 'status', 'presence'],
        row: (user) => [displayName(user.username), user.isAdmin ? 'admin' : 'user', user.banned ? 'banned' : 'active', user.online ? 'online' : 'offline'],
        json: { users: listing.items.map(userJson) },
        empty: args.cursor ? undefined : 'nobody',
      });
    }),
    command('allgroup', 'Every group (name@owner): members online and in all, banned or active', allgroupBuilder, async (context, args) => {
      const listing = await context.with(context.session(), ({ client }) => readListing<WireGroup>(client, 'allgroup', 'groups', {}, args));
      printListing(context, listing, {
        head: GROUP_COLUMNS,
        row: groupRow,
        json: { groups: listing.items.map(groupJson) },
        empty: args.cursor ? undefined : 'no groups',
      });
    }),
    command('adminsend <username> [message..]', 'A system message to any user', adminsendBuilder, async (context, args) => {
      const text = await messageText(args, shared !== undefined, 'chatctl adminsend <username> <message..>');
      const { message } = await context.sendMessage('adminsend', { to: args.username, text });
      context.print(`system message sent to ${message.to}`, { message: { id: message.id, to: message.to, sentAt: message.sentAt } });
    }),
    command('adminsendgroup <group> [message..]', 'A system message to every member of any group', adminsendgroupBuilder, async (context, args) => {
      const text = await messageText(args, shared !== undefined, 'chatctl adminsendgroup <group> <message..>');
      const sent = await context.sendMessage('adminsendgroup', {
        ...named(args.group),
        text,
      });
      const { group, recipients, queueFull, sentAt } = sent.message;
      const message: SentJson = { id: null, group: groupJson(group), sentAt, recipients, queueFull };
      context.print(`system message sent to ${groupNotation(group)} (${recipients} member${recipients === 1 ? '' : 's'})`, { message });
      context.warnQueueFull(queueFull);
    }),
    command('blockuser <username>', 'Ban a user: kicked at once, refused at login', blockUserBuilder, async (context, args) => {
      const { user } = await request(context, 'blockuser', { username: args.username, force: args.force });
      context.print(`${user.username} is banned`, { user: userJson(user) });
    }),
    command('unblockuser <username>', 'Lift a user\'s ban', userBuilder, async (context, args) => {
      const { user } = await request(context, 'unblockuser', { username: args.username });
      context.print(`${user.username} is no longer banned`, { user: userJson(user) });
    }),
    command('resetpassword <username>', 'Give a user a new random password, printed once; their sessions end', resetBuilder, async (context, args) => {
      const { user, password } = await request(context, 'resetpassword', { username: args.username });
      context.print(`new password for ${user.username} (shown once): ${password}`, { user: userJson(user), password });
    }),
    command('deluser <username>', 'Delete a user\'s account: their queue, friendships and the groups they created go with it', deleteBuilder, async (context, args) => {
      const { user } = await request(context, 'deluser', { username: args.username });
      context.print(`deleted the account ${user.username}`, { user: userJson(user) });
    }),
    command('blockgroup <group>', 'Ban a group: nobody can send to it', groupBuilder, async (context, args) => {
      const { group } = await request(context, 'blockgroup', named(args.group));
      context.print(`the group ${groupNotation(group)} is banned`, { group: groupJson(group) });
    }),
    command('unblockgroup <group>', 'Lift a group\'s ban', groupBuilder, async (context, args) => {
      const { group } = await request(context, 'unblockgroup', named(args.group));
      context.print(`the group ${groupNotation(group)} is no longer banned`, { group: groupJson(group) });
    }),
  ];
}

