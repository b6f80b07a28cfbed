// `kerno completion bash|zsh|fish` and `kerno man`: scripts generated from the command tree the CLI parses
// with (src/cli/completion.ts), so they can never fall behind a new command or option.
import { Command, Argument } from 'commander';
import { VERSION } from '../version.js';
import { bpfVerifyProgram } from './bpf-verify.js';
import {
  bashCompletion,
  commandNodes,
  fishCompletion,
  manPage,
  zshCompletion,
  type CommandNode,
} from './completion.js';
import { EXIT, type CliIO } from './io.js';
import { createProgram, type CommandModule } from './main.js';

export const SHELLS = ['bash', 'zsh', 'fish'] as const;

/** Every command module: handed in by the command table (commands.ts), which this module must not import. */
export type AllCommands = () => Promise<CommandModule[]>;

/** kerno with every command registered, and bpf-verify (a program of its own). */
export async function commandTrees(io: CliIO, all: AllCommands): Promise<CommandNode[][]> {
  const program = createProgram(io);
  for (const m of await all()) m.register(program, io, () => {});
  return [commandNodes(program), commandNodes(bpfVerifyProgram(io))];
}

export const EXIT_MEANINGS: readonly (readonly [number, string])[] = [
  [EXIT.OK, 'success (also: a report with findings, unless --exit-code)'],
  [EXIT.FAILURE, 'a critical finding with doctor --exit-code, or a check or scenario that failed'],
  [EXIT.USAGE, 'bad command line: unknown flag or command, bad flag value'],
  [EXIT.CONFIG, 'unreadable or invalid configuration file or environment'],
  [EXIT.PRIVILEGES, 'missing privileges or kernel feature, for a command that cannot degrade'],
  [EXIT.INTERNAL, 'internal error (a crash record was printed on stderr)'],
];

export const completionCommand = (all: AllCommands): CommandModule => ({
  register(program: Command, io: CliIO, setExit: (code: number) => void) {
    program
      .command('completion')
      .description('print a shell completion script (bash, zsh or fish)')
      .addArgument(new Argument('<shell>', 'bash | zsh | fish').choices(SHELLS))
      .addHelpText(
        'after',
        `
Examples:
  source <(kerno completion bash)                         this shell only
  kerno completion bash > /etc/bash_completion.d/kerno    every new bash
  kerno completion zsh > "\${fpath[1]}/_kerno"
  kerno completion fish > ~/.config/fish/completions/kerno.fish`,
      )
      .action(async (shell: (typeof SHELLS)[number]) => {
        const trees = await commandTrees(io, all);
        const gen = { bash: bashCompletion, zsh: zshCompletion, fish: fishCompletion }[shell];
        io.out(gen(trees));
        setExit(EXIT.OK);
      });
  },
});

export const manCommand = (all: AllCommands): CommandModule => ({
  register(program: Command, io: CliIO, setExit: (code: number) => void) {
    program
      .command('man')
      .description('print the kerno(1) man page (roff), generated from the command definitions')
      .addHelpText(
        'after',
        '\nExamples:\n  kerno man | man -l -\n  kerno man > /usr/local/share/man/man1/kerno.1',
      )
      .action(async () => {
        io.out(manPage({ version: VERSION, trees: await commandTrees(io, all), exitCodes: EXIT_MEANINGS }));
        setExit(EXIT.OK);
      });
  },
});
