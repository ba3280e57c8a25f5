import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import type { GroupView } from '../../../application/group-service.js';
import { CliContext, type ArgsOf, type GlobalArgs, type SharedConnection } from '../cli-context.js';
import { CliError, EXIT } from '../exit-codes.js';
import { displayName, quotedName } from '../display.js';
import { formatGroup } from '../group-format.js';
import { morePages, pagingOptions, readListing } from '../listing.js';

const creatorOption = { type: 'string', describe: 'The group\'s creator, when several groups you see share the name' } as const;

const newgroupBuilder = (yargs: Argv<GlobalArgs>) => yargs.positional('groupname', { type: 'string', demandOption: true, describe: '1-32 characters, no control characters' });
const delgroupBuilder = (yargs: Argv<GlobalArgs>) => newgroupBuilder(yargs).option('creator', creatorOption);
const memberBuilder = (yargs: Argv<GlobalArgs>) => delgroupBuilder(yargs).positional('username', { type: 'string', demandOption: true });
const groupsBuilder = (yargs: Argv<GlobalArgs>) => pagingOptions(yargs);
const sendgroupBuilder = (yargs: Argv<GlobalArgs>) =>
  yargs
    .positional('n', { type: 'number', demandOption: true, describe: 'The group\'s number in your last `groups` listing' })
    .positional('message', { type: 'string', array: true, demandOption: true })
    .parserConfiguration({ 'parse-numbers': false });

/** The group commands, one module each, sharing their option shapes. */
export function groupCommands(shared?: SharedConnection): CommandModule<GlobalArgs, never>[] {
  const newgroup: CommandModule<GlobalArgs, ArgsOf<typeof newgroupBuilder>> = {
    command: 'newgroup <groupname>',
    describe: 'Create a group; you own it (at most 10 groups each)',
    builder: newgroupBuilder,
    handler: async (args: ArgumentsCamelCase<ArgsOf<typeof newgroupBuilder>>) => {
      const context = new CliContext(args, shared);
      await context.with(context.session(), async ({ client }) => {
        const { group } = await client.request('newgroup', { name: args.groupname });
        context.print(`created ${formatGroup(group)}`, { group });
      });
    },
  };

  const delgroup: CommandModule<GlobalArgs, ArgsOf<typeof delgroupBuilder>> = {
    command: 'delgroup <groupname>',
    describe: 'Delete a group you own; its members are told',
    builder: delgroupBuilder,
    handler: async (args: ArgumentsCamelCase<ArgsOf<typeof delgroupBuilder>>) => {
      const context = new CliContext(args, shared);
      await context.with(context.session(), async ({ client }) => {
        const { group } = await client.request('delgroup', { name: args.groupname, creator: args.creator });
        context.print(`deleted the group ${quotedName(group.name)}`, { group });
      });
    },
  };

  const member = (op: 'addgroupuser' | 'delgroupuser', describe: string, done: string): CommandModule<GlobalArgs, ArgsOf<typeof memberBuilder>> => ({
    command: `${op} <groupname> <username>`,
    describe,
    builder: memberBuilder,
    handler: async (args: ArgumentsCamelCase<ArgsOf<typeof memberBuilder>>) => {
      const context = new CliContext(args, shared);
      await context.with(context.session(), async ({ client }) => {
        const { group } = await client.request(op, { name: args.groupname, creator: args.creator, username: args.username });
        context.print(`${args.username.toLowerCase()} ${done} ${formatGroup(group)}`, { group });
      });
    },
  });

  const groups: CommandModule<GlobalArgs, ArgsOf<typeof groupsBuilder>> = {
    command: 'groups',
    describe: 'List your groups as [n] groupname creator online/total; sendgroup takes the n',
    builder: groupsBuilder,
    handler: async (args: ArgumentsCamelCase<ArgsOf<typeof groupsBuilder>>) => {
      const context = new CliContext(args, shared);
      await context.with(context.session(), async ({ client }) => {
        const listing = await readListing<GroupView>(client, 'groups', 'groups', {}, args);
        const listed = listing.items;
        // The numbers sendgroup takes are those of this listing, one page of it included.
        await context.profiles.update((profile) => ({ ...profile, groups: listed.map(({ id, name, creator }) => ({ id, name, creator })) }));
        const lines = listed.map((group, i) => `[${i + 1}] ${formatGroup(group)}`);
        const human = lines.length === 0 && !args.cursor ? 'no groups yet: create one with `chatctl newgroup <groupname>`' : lines.join('\n') + morePages(listing);
        context.print(human, { groups: listed, nextCursor: listing.nextCursor });
      });
    },
  };

  const sendgroup: CommandModule<GlobalArgs, ArgsOf<typeof sendgroupBuilder>> = {
    command: 'sendgroup <n> <message..>',
    describe: 'Send to every member of group n of your last `groups` listing',
    builder: sendgroupBuilder,
    handler: async (args: ArgumentsCamelCase<ArgsOf<typeof sendgroupBuilder>>) => {
      const context = new CliContext(args, shared);
      const text = args.message.map(String).join(' ');
      if (args.message.length === 0) throw new CliError(EXIT.USAGE, 'say something: chatctl sendgroup <n> <message..>', 'USAGE');
      const listing = (await context.profiles.read()).groups;
      if (!listing) throw new CliError(EXIT.USAGE, 'no group listing yet: run `chatctl groups`, then use a number from it', 'NO_LISTING');
      const n = Number(args.n);
      const chosen = Number.isInteger(n) ? listing[n - 1] : undefined;
      if (!chosen) {
        throw new CliError(EXIT.USAGE, `${args.n} is not a number from your last \`groups\` listing (1 to ${listing.length}): run \`chatctl groups\` to see them`, 'NO_SUCH_NUMBER');
      }
      const sent = await context.sendMessage('sendgroup', { group: chosen.id, text });
      context.print(`sent to ${displayName(sent.group.name)} (${sent.recipients} member${sent.recipients === 1 ? '' : 's'})`, sent);
      context.warnQueueFull(sent.queueFull);
    },
  };

  return [
    newgroup,
    delgroup,
    member('addgroupuser', 'Add a user to a group (owner or admin); they are told', 'is now in'),
    member('delgroupuser', 'Remove a user from a group (owner or admin); they are told', 'is no longer in'),
    groups,
    sendgroup,
  ] as unknown as CommandModule<GlobalArgs, never>[];
}
