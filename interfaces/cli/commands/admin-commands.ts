import Table from 'cli-table3';
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import type { UserListing } from '../../../application/admin-service.js';
import type { GroupView } from '../../../application/group-service.js';
import { CliContext, type ArgsOf, type GlobalArgs, type SharedConnection } from '../cli-context.js';
import { displayName, quotedName } from '../display.js';
import { formatGroup } from '../group-format.js';
import type { OperationArgs, OperationName } from '../../wire/operations.js';
import { morePages, pagingOptions, readListing } from '../listing.js';

const userBuilder = (yargs: Argv<GlobalArgs>) => yargs.positional('username', { type: 'string', demandOption: true });
const blockUserBuilder = (yargs: Argv<GlobalArgs>) =>
  userBuilder(yargs).option('force', { type: 'boolean', default: false, describe: 'Ban even yourself or another admin' });
const groupBuilder = (yargs: Argv<GlobalArgs>) =>
  yargs.positional('groupname', { type: 'string', demandOption: true }).positional('creator_username', { type: 'string', demandOption: true });
const textBuilder = <T>(yargs: Argv<T>) =>
  yargs.positional('message', { type: 'string', array: true, demandOption: true }).parserConfiguration({ 'parse-numbers': false, 'parse-positional-numbers': false });
const adminsendBuilder = (yargs: Argv<GlobalArgs>) => textBuilder(userBuilder(yargs));
const adminsendgroupBuilder = (yargs: Argv<GlobalArgs>) => textBuilder(groupBuilder(yargs));
const allusersBuilder = (yargs: Argv<GlobalArgs>) => pagingOptions(yargs).option('online', { type: 'boolean', default: false, describe: 'Only users attached now' });
const allgroupBuilder = (yargs: Argv<GlobalArgs>) => pagingOptions(yargs);

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

  return [
    command('allusers', 'Every user: admin, banned/active, online/offline', allusersBuilder, async (context, args) => {
      const listing = await context.with(context.session(), ({ client }) => readListing<UserListing>(client, 'allusers', 'users', { online: args.online }, args));
      const users = listing.items;
      const table = new Table({ head: ['user', 'role', 'status', 'presence'], style: { head: [], border: [] } });
      for (const user of users) table.push([displayName(user.username), user.isAdmin ? 'admin' : 'user', user.banned ? 'banned' : 'active', user.online ? 'online' : 'offline']);
      context.print((users.length === 0 ? 'nobody' : table.toString()) + morePages(listing), { users, nextCursor: listing.nextCursor });
    }),
    command('allgroup', 'Every group as groupname creator online/total, banned or active', allgroupBuilder, async (context, args) => {
      const listing = await context.with(context.session(), ({ client }) => readListing<GroupView>(client, 'allgroup', 'groups', {}, args));
      const groups = listing.items;
      const lines = groups.map((group) => `${formatGroup({ ...group, banned: false })} ${group.banned ? 'banned' : 'active'}`);
      context.print((lines.length === 0 ? 'no groups' : lines.join('\n')) + morePages(listing), { groups, nextCursor: listing.nextCursor });
    }),
    command('adminsend <username> <message..>', 'A system message to any user', adminsendBuilder, async (context, args) => {
      const { message } = await context.sendMessage('adminsend', { to: args.username, text: args.message.map(String).join(' ') });
      context.print(`system message sent to ${message.to}`, { message });
    }),
    command('adminsendgroup <groupname> <creator_username> <message..>', 'A system message to every member of any group', adminsendgroupBuilder, async (context, args) => {
      const { message } = await context.sendMessage('adminsendgroup', {
        name: args.groupname,
        creator: args.creator_username,
        text: args.message.map(String).join(' '),
      });
      context.print(`system message sent to ${displayName(message.group)} (${message.recipients} members)`, { message });
      context.warnQueueFull(message.queueFull);
    }),
    command('blockuser <username>', 'Ban a user: kicked at once, refused at login', blockUserBuilder, async (context, args) => {
      const { user } = await request(context, 'blockuser', { username: args.username, force: args.force });
      context.print(`${user.username} is banned`, { user });
    }),
    command('unblockuser <username>', 'Lift a user\'s ban', userBuilder, async (context, args) => {
      const { user } = await request(context, 'unblockuser', { username: args.username });
      context.print(`${user.username} is no longer banned`, { user });
    }),
    command('blockgroup <groupname> <creator_username>', 'Ban a group: nobody can send to it', groupBuilder, async (context, args) => {
      const { group } = await request(context, 'blockgroup', { name: args.groupname, creator: args.creator_username });
      context.print(`the group ${quotedName(group)} is banned`, { group });
    }),
    command('unblockgroup <groupname> <creator_username>', 'Lift a group\'s ban', groupBuilder, async (context, args) => {
      const { group } = await request(context, 'unblockgroup', { name: args.groupname, creator: args.creator_username });
      context.print(`the group ${quotedName(group)} is no longer banned`, { group });
    }),
  ];
}

/** The admin command names, for the shell's completion. */
export const ADMIN_COMMAND_NAMES = ['allusers', 'allgroup', 'adminsend', 'adminsendgroup', 'blockuser', 'unblockuser', 'blockgroup', 'unblockgroup'];
