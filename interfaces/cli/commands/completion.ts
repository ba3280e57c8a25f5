import yargs, { type ArgumentsCamelCase, type Argv, type CommandModule } from 'yargs';
import type { ArgsOf, GlobalArgs } from '../cli-context.js';

const builder = (y: Argv<GlobalArgs>) =>
  y
    .option('shell', {
      choices: ['bash', 'zsh'] as const,
      default: process.env.SHELL?.includes('zsh') ? 'zsh' : 'bash',
      defaultDescription: 'zsh if $SHELL is, else bash',
      describe: 'Which shell the script is for',
    })
    .example('$0 completion >> ~/.bashrc', 'Tab-complete chatctl\'s commands and options in new bash shells')
    .example('$0 completion --shell zsh >> ~/.zshrc', 'The same for zsh');

/**
 * `chatctl completion`: yargs' completion script, which asks `chatctl --get-yargs-completions`
 * (answered by the same parser as every command line) what may follow the words typed.
 */
export const completionCommand: CommandModule<GlobalArgs, ArgsOf<typeof builder>> = {
  command: 'completion',
  describe: 'Print a bash or zsh completion script',
  builder,
  handler: (args: ArgumentsCamelCase<ArgsOf<typeof builder>>) => {
    // yargs picks the template by $SHELL when the instance is made.
    const shell = process.env.SHELL;
    process.env.SHELL = args.shell;
    try {
      (yargs() as unknown as { showCompletionScript($0: string, command: string): void }).showCompletionScript('chatctl', 'completion');
    } finally {
      process.env.SHELL = shell;
    }
  },
};
