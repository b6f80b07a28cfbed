// `kerno watch tcp | oom | fd`: windowed aggregations, printed as they close — a live table on a terminal,
// one JSON object per line otherwise (or with -o json). Runs until --duration, Ctrl+C/SIGTERM, or the
// reader of a pipe going away (exit 0, quietly: `kerno watch tcp | head` is a normal use).
import { Command, Option } from 'commander';
import { parseDuration } from '../util/duration.js';
import { sleepUntilAborted } from '../util/sleep.js';
import { checkBpfPrivileges } from '../util/privileges.js';
import { TcpWatcher } from '../watch/tcp.js';
import { FdWatcher } from '../watch/fd.js';
import { OomWatcher } from '../watch/oom.js';
import { fdTable, OOM_ALERT_BANNER, oomCells, tcpTable, type WatchTable } from '../render/watch/model.js';
import { fdJsonLine, oomJsonLine, tcpJsonLine } from '../render/watch/json.js';
import { renderCells, renderWatchTable } from '../render/watch/text.js';
import type { LiveWatch } from '../render/watch/live.js';
import { commandContext, ExitError } from './context.js';
import { EXIT, UsageError, type CliIO } from './io.js';
import type { CommandModule } from './main.js';

type Output = 'auto' | 'table' | 'json';

interface CommonFlags {
  duration?: string;
  output: Output;
}

const OUTPUT_HELP = 'auto (a live table on a terminal, JSON lines otherwise) | table | json';
const MIN_INTERVAL_NS = 100e6;

export function parseDurationFlag(flag: string, text: string, minNs: number): number {
  let ns: number;
  try {
    ns = parseDuration(text);
  } catch (err) {
    throw new UsageError(`${flag}: ${(err as Error).message}`);
  }
  if (ns < minNs) throw new UsageError(`${flag}: must be at least ${minNs / 1e6}ms, got "${text}"`);
  return ns;
}

export function parseNumberFlag(flag: string, text: string, min: number, max: number): number {
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n) || n < min || n > max)
    throw new UsageError(`${flag}: expected a number between ${min} and ${max}, got "${text}"`);
  return n;
}

function durationFlag(duration: string | undefined): number | undefined {
  return duration === undefined ? undefined : parseDurationFlag('--duration', duration, 1e6);
}

/** The run's end (monotonic ms), counted from when the programs are attached; Infinity without one. */
function deadline(durationNs: number | undefined): number {
  return durationNs === undefined ? Infinity : performance.now() + durationNs / 1e6;
}

/** Aborted by Ctrl+C/SIGTERM or when stdout's reader went away. */
function stopSignal(io: CliIO): AbortSignal {
  const signals = [io.signal, io.outputClosed].filter((s): s is AbortSignal => s !== undefined);
  return signals.length === 0 ? new AbortController().signal : AbortSignal.any(signals);
}

/** Once attached: a status line for whoever reads stderr (the live screen says it on a terminal). */
function announce(io: CliIO, what: string): void {
  if (!io.stdoutIsTTY) io.err(`kerno: watching ${what} (Ctrl+C to stop)\n`);
}

function requirePrivileges(): void {
  const p = checkBpfPrivileges();
  if (!p.ok) throw new ExitError(`watch: ${p.reason}`, EXIT.PRIVILEGES);
}

/** Where windows go: a live Ink frame on a terminal, appended text or JSON lines elsewhere. */
interface Sink {
  window(table: () => WatchTable, json: () => string): void;
  close(): void;
}

async function makeSink(io: CliIO, output: Output, color: boolean, waiting: string): Promise<Sink> {
  const json = output === 'json' || (output === 'auto' && !io.stdoutIsTTY);
  if (json) return { window: (_t, j) => io.out(j()), close: () => {} };
  if (!io.stdoutIsTTY) return { window: (t) => io.out(renderWatchTable(t(), color) + '\n'), close: () => {} };
  // Ink (React) is loaded only for the live screen.
  const { startLiveWatch } = await import('../render/watch/live.js');
  const live: LiveWatch = startLiveWatch({ waiting });
  return { window: (t) => live.show(renderWatchTable(t(), color)), close: () => live.close() };
}

/** Rows that fit the terminal under the title, header and note. */
function maxRows(io: CliIO): number {
  return io.stdoutIsTTY ? Math.max(5, (process.stdout.rows ?? 24) - 4) : Infinity;
}

/** Sleeps window after window until the deadline or a stop, calling `tick` at each window's end. */
async function windows(
  intervalNs: number,
  end: number,
  stop: AbortSignal,
  tick: () => Promise<void>,
): Promise<void> {
  while (!stop.aborted) {
    const left = end - performance.now();
    if (left <= 0) return;
    await sleepUntilAborted(Math.min(intervalNs / 1e6, left), stop);
    if (stop.aborted) return; // Ctrl+C or a closed pipe: the partial window is dropped, nothing half-printed
    await tick();
  }
}

interface TcpFlags extends CommonFlags {
  retransmits?: boolean;
  thresholdRtt?: string;
  interval: string;
}

async function runTcp(opts: TcpFlags, cmd: Command, io: CliIO): Promise<number> {
  const intervalNs = parseDurationFlag('--interval', opts.interval, MIN_INTERVAL_NS);
  const minRttNs =
    opts.thresholdRtt === undefined ? 0 : parseDurationFlag('--threshold-rtt', opts.thresholdRtt, 0);
  const durationNs = durationFlag(opts.duration);
  const { color } = commandContext(cmd, io);
  requirePrivileges();
  const stop = stopSignal(io);
  const watcher = new TcpWatcher(intervalNs, { retransmitsOnly: opts.retransmits === true, minRttNs });
  // The live screen first (loading Ink takes a moment), so the first window is not stretched by it.
  const sink = await makeSink(io, opts.output, color, 'watching TCP connections… (Ctrl+C to stop)\n');
  try {
    await watcher.start();
    const end = deadline(durationNs);
    announce(io, 'TCP connections');
    await windows(intervalNs, end, stop, async () => {
      const w = await watcher.tick();
      sink.window(
        () => tcpTable(w, maxRows(io)),
        () => tcpJsonLine(w),
      );
    });
  } finally {
    sink.close();
    watcher.stop();
  }
  return EXIT.OK;
}

interface FdFlags extends CommonFlags {
  threshold: string;
  interval: string;
  all?: boolean;
}

async function runFd(opts: FdFlags, cmd: Command, io: CliIO): Promise<number> {
  const intervalNs = parseDurationFlag('--interval', opts.interval, MIN_INTERVAL_NS);
  const threshold = parseNumberFlag('--threshold', opts.threshold, 0, 1e9);
  const durationNs = durationFlag(opts.duration);
  const { color } = commandContext(cmd, io);
  requirePrivileges();
  const stop = stopSignal(io);
  const watcher = new FdWatcher(intervalNs, threshold, opts.all === true);
  const sink = await makeSink(io, opts.output, color, 'watching file descriptors… (Ctrl+C to stop)\n');
  try {
    await watcher.start();
    const end = deadline(durationNs);
    announce(io, 'file descriptors');
    await windows(intervalNs, end, stop, async () => {
      const w = watcher.tick();
      sink.window(
        () => fdTable(w, maxRows(io)),
        () => fdJsonLine(w),
      );
    });
  } finally {
    sink.close();
    watcher.stop();
  }
  return EXIT.OK;
}

interface OomFlags extends CommonFlags {
  threshold?: string;
  alert?: boolean;
}

/** The ring buffer is drained every 100 ms; a kill is printed within this of happening. */
const OOM_POLL_NS = 250e6;

async function runOom(opts: OomFlags, cmd: Command, io: CliIO): Promise<number> {
  const minAdj =
    opts.threshold === undefined ? -1000 : parseNumberFlag('--threshold', opts.threshold, -1000, 1000);
  const durationNs = durationFlag(opts.duration);
  const { color } = commandContext(cmd, io);
  requirePrivileges();
  const stop = stopSignal(io);
  const json = opts.output === 'json' || (opts.output === 'auto' && !io.stdoutIsTTY);
  const watcher = new OomWatcher(minAdj);
  await watcher.start(stop);
  const end = deadline(durationNs);
  announce(io, 'for OOM kills');
  if (io.stdoutIsTTY && !json) io.out('watching for OOM kills… (Ctrl+C to stop)\n');
  try {
    await windows(OOM_POLL_NS, end, stop, async () => {
      for (const e of await watcher.poll()) {
        if (json) {
          io.out(oomJsonLine(e));
          continue;
        }
        if (opts.alert) io.out(renderCells([{ text: OOM_ALERT_BANNER, tone: 'critical' }], color));
        io.out(renderCells(oomCells(e), color));
      }
    });
  } finally {
    await watcher.stop();
  }
  return EXIT.OK;
}

function outputOption(): Option {
  return new Option('-o, --output <format>', OUTPUT_HELP).choices(['auto', 'table', 'json']).default('auto');
}

export const watchCommand: CommandModule = {
  register(program: Command, io: CliIO, setExit: (code: number) => void) {
    const watch = program
      .command('watch')
      .description('windowed live views: TCP connections, OOM kills, file-descriptor growth (root)');
    watch
      .command('tcp')
      .description(
        'per connection per window: RTT p50/p99, retransmits, events, process and network namespace',
      )
      .option('--retransmits', 'only connections that retransmitted in the window')
      .option('--threshold-rtt <duration>', 'only connections whose RTT p99 is at least this (e.g. 5ms)')
      .option('--interval <duration>', 'window length', '2s')
      .option('--duration <duration>', 'stop after this long (default: until Ctrl+C)')
      .addOption(outputOption())
      .addHelpText(
        'after',
        `
Sorted by retransmits, then RTT p99. RTT is the smoothed RTT, one sample per received segment; yellow
from 5ms, red from 50ms; any retransmit is red. IPv4 and IPv6, every network namespace (pods included).

Examples:
  sudo kerno watch tcp --retransmits
  sudo kerno watch tcp --interval 5s --duration 1m -o json | jq -c '.connections[0]'`,
      )
      .action(async (opts: TcpFlags, cmd: Command) => setExit(await runTcp(opts, cmd, io)));
    watch
      .command('oom')
      .description('OOM kills as they happen: victim, pid, cgroup, RSS, total VM, oom_score_adj, trigger')
      .option('--threshold <n>', 'only victims whose oom_score_adj is at least this (-1000…1000)')
      .option('--alert', `print "${OOM_ALERT_BANNER}" before each kill`)
      .option('--duration <duration>', 'stop after this long (default: until Ctrl+C)')
      .addOption(outputOption())
      .action(async (opts: OomFlags, cmd: Command) => setExit(await runOom(opts, cmd, io)));
    watch
      .command('fd')
      .description(
        'per window, per process: descriptors opened, closed, net and rate; !! LEAK at the threshold',
      )
      .option('--threshold <n>', 'leak rate, net descriptors per second', '10')
      .option('--interval <duration>', 'window length', '5s')
      .option('--all', 'every process that opened or closed a descriptor, not only leak suspects')
      .option('--duration <duration>', 'stop after this long (default: until Ctrl+C)')
      .addOption(outputOption())
      .action(async (opts: FdFlags, cmd: Command) => setExit(await runFd(opts, cmd, io)));
  },
};
