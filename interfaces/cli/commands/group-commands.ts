import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import type { WireGroup } from '../../wire/operations.js';
import { CliContext, type ArgsOf, type GlobalArgs, type SharedConnection } from '../cli-context.js';
import { CliError, EXIT } from '../exit-codes.js';
import { quotedName } from '../display.js';
import { describeGroup, GROUP_COLUMNS, groupNotation, groupRow, parseGroupHandle } from '../group-format.js';
import { groupJson, type SentJson } from '../json-output.js';
import { pagingOptions, printListing, readListing } from '../listing.js';
import { messageArguments, messageText } from '../message-input.js';

const creatorOption = { type: 'string', describe: 'The group\'s owner (the same as writing the group as name@owner)' } as const;
const groupPositional = { type: 'string', demandOption: true, describe: 'The group as name@owner (team@alice), or its name alone when that is enough' } as const;

const newgroupBuilder = (yargs: Argv<GlobalArgs>) =>
  yargs.positional('groupname', { type: 'string', demandOption: true, describe: '1-32 characters, no control characters' }).example('$0 newgroup team', 'Create the group "team", owned by you');
const group = (yargs: Argv<GlobalArgs>) => yargs.positional('group', groupPositional).option('creator', creatorOption);
const delgroupBuilder = (yargs: Argv<GlobalArgs>) => group(yargs).example('$0 delgroup team', 'Delete your group "team"');
const memberBuilder = (yargs: Argv<GlobalArgs>) => group(yargs).positional('username', { type: 'string', demandOption: true });
const groupsBuilder = (yargs: Argv<GlobalArgs>) => pagingOptions(yargs).example('$0 groups', 'Your groups, numbered for sendgroup');
const sendgroupBuilder = (yargs: Argv<GlobalArgs>) =>
  messageArguments(yargs.positional('group', { type: 'string', demandOption: true, describe: 'The group as name@owner, or its number n in your last `groups` listing' }))
    .example('$0 sendgroup team@alice lunch at noon?', 'Send to the group "team" alice owns')
    .example('$0 sendgroup 1 lunch at noon?', 'Send to group [1] of your last `groups` listing')
    .example('$0 sendgroup 1 - < notes.txt', 'Send a file\'s text');

/** The name and owner a group argument names, for the server: `team@alice`, or `team` with or without --creator. */
function named(args: { readonly group: string; readonly creator?: string | undefined }): { name: string; creator: string | undefined } {
  const { name, owner } = parseGroupHandle(args.group);
  return { name, creator: owner ?? args.creator };
}

/**
 * The id of the group a sendgroup argument means: a number from the last `groups` listing
 * (kept in the profile), else name@owner or a name alone, looked up among your groups.
 */
async function groupIdOf(context: CliContext, argument: string): Promise<number> {
  if (/^\d+$/.test(argument)) {
    const listing = (await context.profiles.read()).groups;
    if (!listing) throw new CliError(EXIT.USAGE, 'no group listing yet: run `chatctl groups`, then use a number from it, or name the group as name@owner', 'NO_LISTING');
    const chosen = listing[Number(argument) - 1];
    if (!chosen) {
      throw new CliError(EXIT.USAGE, `${argument} is not a number from your last \`groups\` listing (1 to ${listing.length}): run \`chatctl groups\` to see them`, 'NO_SUCH_NUMBER');
    }
    return chosen.id;
  }
  const { name, owner } = parseGroupHandle(argument);
  const { items } = await context.with(context.session(), ({ client }) => readListing<WireGroup>(client, 'groups', 'groups', {}, {}));
  const matches = items.filter((group) => group.name === name.trim() && (owner === undefined || group.creator === owner.trim().toLowerCase()));
  if (matches.length > 1) {
    throw new CliError(EXIT.USAGE, `${matches.length} of your groups are called ${quotedName(name)}: say which, as ${matches.map(groupNotation).join(' or ')}`, 'AMBIGUOUS_GROUP');
  }
  if (!matches[0]) throw new CliError(EXIT.REFUSED, `you are in no group ${owner === undefined ? `called ${quotedName(name)}` : groupNotation({ name, creator: owner })}`, 'UNKNOWN_GROUP');
  return matches[0].id;
}

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
        context.print(`created ${describeGroup(group)}`, { group: groupJson(group) });
      });
    },
  };

  const delgroup: CommandModule<GlobalArgs, ArgsOf<typeof delgroupBuilder>> = {
    command: 'delgroup <group>',
    describe: 'Delete a group you own; its members are told',
    builder: delgroupBuilder,
    handler: async (args: ArgumentsCamelCase<ArgsOf<typeof delgroupBuilder>>) => {
      const context = new CliContext(args, shared);
      await context.with(context.session(), async ({ client }) => {
        const { group } = await client.request('delgroup', named(args));
        context.print(`deleted the group ${groupNotation(group)}`, { group: groupJson(group) });
      });
    },
  };

  const member = (op: 'addgroupuser' | 'delgroupuser', describe: string, done: string): CommandModule<GlobalArgs, ArgsOf<typeof memberBuilder>> => ({
    command: `${op} <group> <username>`,
    describe,
    builder: (yargs: Argv<GlobalArgs>) =>
      memberBuilder(yargs)
        .example(`$0 ${op} team bob`, `${describe.split(' ')[0]} bob, in your group "team"`)
        .example(`$0 ${op} team@alice bob`, 'The "team" alice owns, when you see several'),
    handler: async (args: ArgumentsCamelCase<ArgsOf<typeof memberBuilder>>) => {
      const context = new CliContext(args, shared);
      await context.with(context.session(), async ({ client }) => {
        const { group } = await client.request(op, { ...named(args), username: args.username });
        context.print(`${args.username.toLowerCase()} ${done} ${describeGroup(group)}`, { group: groupJson(group) });
      });
    },
  });

  const groups: CommandModule<GlobalArgs, ArgsOf<typeof groupsBuilder>> = {
    command: 'groups',
    describe: 'List your groups (name@owner), numbered: sendgroup takes the number or the name',
    builder: groupsBuilder,
    handler: async (args: ArgumentsCamelCase<ArgsOf<typeof groupsBuilder>>) => {
      const context = new CliContext(args, shared);
      await context.with(context.session(), async ({ client }) => {
        const listing = await readListing<WireGroup>(client, 'groups', 'groups', {}, args);
        const listed = listing.items;
        // The numbers sendgroup takes are those of this listing, one page of it included.
        await context.profiles.update((profile) => ({ ...profile, groups: listed.map(({ id, name, creator }) => ({ id, name, creator })) }));
        printListing(context, listing, {
          head: ['#', ...GROUP_COLUMNS],
          row: (group, i) => [String(i + 1), ...groupRow(group)],
          json: { groups: listed.map(groupJson) },
          empty: args.cursor ? undefined : 'no groups yet: create one with `chatctl newgroup <groupname>`',
        });
      });
    },
  };

  const sendgroup: CommandModule<GlobalArgs, ArgsOf<typeof sendgroupBuilder>> = {
    command: 'sendgroup <group> [message..]',
    describe: 'Send to every member of a group: name@owner, or its number in your last `groups` listing',
    builder: sendgroupBuilder,
    handler: async (args: ArgumentsCamelCase<ArgsOf<typeof sendgroupBuilder>>) => {
      const context = new CliContext(args, shared);
      const text = await messageText(args, shared !== undefined, 'chatctl sendgroup <group> <message..>');
      const id = await groupIdOf(context, args.group);
      const sent = await context.sendMessage('sendgroup', { group: id, text });
      const message: SentJson = { id: null, group: groupJson(sent.group), sentAt: sent.sentAt, recipients: sent.recipients, queueFull: sent.queueFull };
      context.print(`sent to ${groupNotation(sent.group)} (${sent.recipients} member${sent.recipients === 1 ? '' : 's'})`, { message });
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
