// `kerno version`: what is running (version, commit, build date, kind) and on what (Node, libbpf, kernel),
// for bug reports and fleet inventories. `--version` stays the bare version string.
import { Command, Option } from 'commander';
import { buildInfo, type BuildInfo } from '../build-info.js';
import { EXIT, type CliIO } from './io.js';
import type { CommandModule } from './main.js';

export function renderVersion(info: BuildInfo, output: 'plain' | 'json'): string {
  if (output === 'json') return `${JSON.stringify(info, null, 2)}\n`;
  const rows: [string, string][] = [
    ['version', info.version],
    ['commit', info.commit],
    ['built', `${info.buildDate} (${info.kind})`],
    ['node', info.node],
    ['libbpf', info.libbpf],
    ['kernel', info.kernel],
  ];
  return rows.map(([k, v]) => `${`${k}:`.padEnd(9)}${v}\n`).join('');
}

export const versionCommand: CommandModule = {
  register(program: Command, io: CliIO, setExit: (code: number) => void) {
    program
      .command('version')
      .description('print version, git commit, build date, Node, libbpf and kernel versions')
      .addOption(
        new Option('-o, --output <format>', 'output format').choices(['plain', 'json']).default('plain'),
      )
      .action((opts: { output: 'plain' | 'json' }) => {
        io.out(renderVersion(buildInfo(), opts.output));
        setExit(EXIT.OK);
      });
  },
};
