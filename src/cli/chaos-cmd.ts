// `kerno chaos`: induce a real, bounded incident so that `kerno doctor` can be seen naming it (reference
// §1.7, §8.2). --list shows the scenarios and their paired rules; --induce without --yes only says what
// would happen (no prompt: stdin is often not a terminal); --cleanup removes what a killed run left behind.
// Progress goes to stderr, so stdout stays free for tables and plans.
import { Command, Option } from 'commander';
import {
  cleanupStale,
  describeScenario,
  formatExpectation,
  getScenario,
  listScenarios,
  parseInducer,
  parseIntensity,
  runScenario,
  type ChaosOptions,
  type ChaosSubject,
  type ScenarioResult,
} from '../chaos/index.js';
import { MAX_DURATION_NS, MIN_DURATION_NS } from '../chaos/options.js';
import { formatDuration, parseDuration } from '../util/duration.js';
import { commandContext, ExitError, type GlobalOptions } from './context.js';
import { EXIT, UsageError, type CliIO } from './io.js';
import type { CommandModule } from './main.js';
import { outputWidth, renderTable } from './table.js';

interface ChaosFlags {
  list?: boolean;
  induce?: string;
  cleanup?: boolean;
  duration: string;
  intensity: string;
  inducer: string;
  yes?: boolean;
  output: 'table' | 'json';
}

export const chaosCommand: CommandModule = {
  register(program: Command, io: CliIO, setExit: (code: number) => void) {
    program
      .command('chaos')
      .description(
        'induce a real, bounded incident (CPU, memory, disk, TCP loss …) that a doctor rule must name',
      )
      .addOption(
        new Option('--list', 'list the scenarios and the rules they pair with').conflicts([
          'induce',
          'cleanup',
        ]),
      )
      .addOption(new Option('--induce <scenario>', 'the scenario to run (see --list)').conflicts('cleanup'))
      .option('-d, --duration <duration>', 'how long the incident lasts (100ms…1h)', '30s')
      .option('--intensity <level>', 'low | medium | high (l, m, h)', 'medium')
      .option(
        '--inducer <name>',
        "kerno-worker (kerno's own workload) | stress-ng (cpu, oom-kill, disk-sat)",
        'kerno-worker',
      )
      .option('-y, --yes', 'really run it (without --yes, --induce only prints what it would do)')
      .option('--cleanup', 'remove what an interrupted or killed chaos run left behind, then exit')
      .addOption(
        new Option('-o, --output <format>', 'output format of --list')
          .choices(['table', 'json'])
          .default('table'),
      )
      .addHelpText(
        'after',
        `
Examples:
  kerno chaos --list
  kerno chaos --list -o json | jq -r '.[].name'
  kerno chaos --induce cpu                                  what it would do (nothing is run)
  sudo kerno chaos --induce cpu --duration 30s --yes        then, in another terminal: sudo kerno doctor
  sudo kerno chaos --induce tcp-loss --intensity high --yes
  sudo kerno chaos --induce oom-kill --inducer stress-ng --yes   the same incident made by stress-ng
  sudo kerno chaos --cleanup

Everything a run creates is named kerno-chaos-<id> and is removed at the end, on Ctrl+C/SIGTERM, or by the
next run if this one was killed. Scenarios that create cgroups, namespaces or nftables rules need root.
Exit status: 0 ok (also when interrupted), 1 the scenario failed, 2 bad usage, 3 bad configuration,
4 not root for a scenario that needs it.`,
      )
      .action(async (opts: ChaosFlags, cmd: Command) => {
        setExit(await runChaos(opts, cmd, io));
      });
  },
};

async function runChaos(opts: ChaosFlags, cmd: Command, io: CliIO): Promise<number> {
  if (opts.list) {
    const { color } = commandContext(cmd, io);
    if (opts.output === 'json') io.out(JSON.stringify(listScenarios(), null, 2) + '\n');
    else io.out(scenarioTable(color, outputWidth(io.stdoutIsTTY)));
    return EXIT.OK;
  }
  // Only --list prints data; a run reports progress on stderr, which has no JSON form.
  if (opts.output !== 'table') throw new UsageError('--output: only with --list');
  if (opts.cleanup) {
    commandContext(cmd, io);
    return cleanup(io);
  }
  if (opts.induce === undefined) throw new UsageError('must specify --induce <scenario> or --list');
  // Every flag is checked before anything is created: a typo must never start a different incident.
  const options = parseChaosOptions(opts);
  const name = opts.induce;
  let scenario;
  try {
    scenario = getScenario(name);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const inducers = scenario.inducers ?? ['kerno-worker'];
  if (!inducers.includes(options.inducer ?? 'kerno-worker')) {
    throw new UsageError(
      `--inducer ${options.inducer}: scenario ${name} can be induced by ${inducers.join(', ')} only`,
    );
  }
  commandContext(cmd, io);
  if (!opts.yes) {
    io.out(describeScenario(name, options).join('\n') + '\n');
    io.out(`Nothing was done. Re-run with --yes to induce it: kerno chaos --induce ${name} --yes\n`);
    return EXIT.OK;
  }
  if (scenario.needsRoot && !isRoot()) {
    throw new ExitError(
      `chaos scenarios need root: ${name} creates cgroups, network namespaces or nftables rules; re-run with sudo`,
      EXIT.PRIVILEGES,
    );
  }
  return induce(name, options, cmd, io);
}

function parseChaosOptions(opts: ChaosFlags): ChaosOptions {
  let intensity;
  try {
    intensity = parseIntensity(opts.intensity);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  let inducer;
  try {
    inducer = parseInducer(opts.inducer);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  let durationNs: number;
  try {
    durationNs = parseDuration(opts.duration);
  } catch (err) {
    throw new UsageError(`--duration: ${(err as Error).message}`);
  }
  if (durationNs < MIN_DURATION_NS || durationNs > MAX_DURATION_NS) {
    throw new UsageError(
      `--duration: must be between ${formatDuration(MIN_DURATION_NS)} and ${formatDuration(MAX_DURATION_NS)}, got "${opts.duration}"`,
    );
  }
  return { durationNs, intensity, inducer };
}

async function induce(name: string, options: ChaosOptions, cmd: Command, io: CliIO): Promise<number> {
  const verbose = Boolean(cmd.optsWithGlobals<GlobalOptions>().verbose);
  const info = listScenarios().find((s) => s.name === name)!;
  const say = (line: string): void => io.err(line + '\n');
  say(
    `==> chaos: inducing ${name} (intensity=${options.intensity}, inducer=${options.inducer ?? 'kerno-worker'}, duration=${formatDuration(options.durationNs)})`,
  );
  say(`    rule expected to fire: ${formatExpectation(info.expect)}`);
  say(`    watch it: sudo kerno doctor   (in another terminal, while this runs)`);
  let result: ScenarioResult;
  try {
    result = await runScenario(name, options, {
      signal: io.signal,
      log: say,
      onSubject: (s) => say(`    subject: ${describeSubject(s)}`),
    });
  } catch (err) {
    throw new ExitError(oneLine((err as Error).message), EXIT.FAILURE);
  }
  for (const note of result.notes) say(`    note: ${note}`);
  if (verbose && Object.keys(result.observed).length > 0) {
    say(
      `    observed: ${Object.entries(result.observed)
        .map(([k, v]) => `${k}=${v}`)
        .join(' ')}`,
    );
  }
  const how = result.aborted ? ' (interrupted; everything it created was removed)' : '';
  say(`==> chaos: ${name} finished in ${formatDuration(result.elapsedNs, { significant: 3 })}${how}`);
  return EXIT.OK;
}

async function cleanup(io: CliIO): Promise<number> {
  const say = (line: string): void => io.err(line + '\n');
  const report = await cleanupStale(say);
  if (report.staleRuns.length === 0 && report.removed.length === 0 && report.failed.length === 0) {
    say('==> chaos: nothing to clean up');
  } else {
    say(
      `==> chaos: cleanup removed ${report.removed.length} leftover(s) of ${report.staleRuns.length} interrupted run(s)`,
    );
    for (const r of report.removed) say(`    removed ${r}`);
  }
  if (report.liveRuns.length > 0) {
    say(`    left alone: ${report.liveRuns.length} run(s) still in progress (${report.liveRuns.join(', ')})`);
  }
  if (report.failed.length > 0) {
    throw new ExitError(
      `chaos cleanup: ${report.failed.length} leftover(s) could not be removed${isRoot() ? '' : ' (not root: re-run with sudo)'}: ${report.failed.join('; ')}`,
      EXIT.FAILURE,
    );
  }
  return EXIT.OK;
}

function scenarioTable(color: boolean, width: number | undefined): string {
  // cascade pairs with many rules: one per line keeps the column narrow.
  const rows = listScenarios().map((s) => {
    const notes = [
      ...(s.needsRoot ? ['root'] : []),
      ...(s.inducers.includes('stress-ng') ? ['--inducer stress-ng too'] : []),
    ];
    return [
      s.name,
      s.rules.join(s.rules.length > 2 ? '\n' : ', '),
      notes.length > 0 ? `${s.description} (${notes.join('; ')})` : s.description,
    ];
  });
  return renderTable(['SCENARIO', 'PAIRED RULE(S)', 'DESCRIPTION'], rows, { color, width });
}

export function describeSubject(s: ChaosSubject): string {
  switch (s.kind) {
    case 'process':
      return `pid ${s.pid} (${s.comm})`;
    case 'cgroup':
      return `cgroup ${s.path} (cgroup v${s.version}, ${s.dir})`;
    case 'connection':
      return `connection ${s.srcAddr}:${s.srcPort} → ${s.dstAddr}:${s.dstPort} (netns ${s.netns})`;
    case 'device':
      return `device ${s.name} (${s.dev})`;
  }
}

function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

/** Errors end up as one stderr line; a compiler's or tool's multi-line output is folded. */
function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, '; ').trim();
}
