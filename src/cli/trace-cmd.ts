// `kerno trace syscall | disk | sched`: streams of individual kernel events. Every filter is compiled into
// the BPF program before load (bpf/trace.h), so an event that does not match never reaches this process;
// this module only parses flags, starts the stream and writes what arrives.
import { existsSync } from 'node:fs';
import { Command, Option } from 'commander';
import {
  SyscallTop,
  TraceFilterError,
  parseComm,
  parseLatency,
  parseOps,
  parsePid,
  parseSyscall,
  startDiskTrace,
  startSchedTrace,
  startSyscallTrace,
  syscallNameOf,
  totalDrops,
  type CommonFilters,
  type DiskFilters,
  type SyscallFilters,
  type TraceSession,
  type TraceStats,
} from '../trace/index.js';
import {
  dropsWarning,
  jsonRenderer,
  prettyRenderer,
  renderTopPlain,
  summaryLine,
  summaryObject,
  topJson,
  type LineRenderer,
  type TraceKind,
} from '../render/trace/lines.js';
import { parseDuration } from '../util/duration.js';
import { checkBpfPrivileges } from '../util/privileges.js';
import { monotonicNs } from '../util/clock.js';
import { commandContext, ExitError } from './context.js';
import { endOfStream } from './stream-end.js';
import { EXIT, UsageError, type CliIO } from './io.js';
import type { CommandModule } from './main.js';

type Output = 'pretty' | 'json';

interface CommonFlags {
  pid: string;
  comm?: string;
  duration: string;
  output?: Output;
}
interface SyscallFlags extends CommonFlags {
  filter?: string;
  minLatency: string;
  top: string;
}
interface DiskFlags extends CommonFlags {
  op?: string;
  threshold: string;
  process?: string;
}
interface SchedFlags extends CommonFlags {
  threshold: string;
}

/** How often drops are reported on stderr while a stream runs (only when the count grew). */
const DROP_REPORT_MS = 5000;
const MAX_TOP = 1000;

function outputOption(): Option {
  return new Option(
    '-o, --output <format>',
    'pretty (default on a terminal) or json (one object per line)',
  ).choices(['pretty', 'json']);
}

function commonOptions(cmd: Command): Command {
  return cmd
    .option('-p, --pid <pid>', 'only this process (tgid); 0 = every process', '0')
    .option(
      '--comm <name>',
      'only tasks with this thread or process name (case-insensitive, first 15 characters)',
    )
    .option('-d, --duration <duration>', 'stop after this long; 0 = until Ctrl+C', '0')
    .addOption(outputOption());
}

const STREAM_HELP = `
Filters run in the kernel: events that do not match never reach kerno. Pretty output is one line per
event; -o json is one object per line. At the end a summary (events, and drops if any) goes to stderr:
a text line, or with -o json one JSON object {"summary":true,…}. Ctrl+C, SIGTERM or --duration end the
trace; a closed pipe (… | head) ends it quietly with exit code 0. Needs root (CAP_BPF + CAP_PERFMON).`;

export const traceCommand: CommandModule = {
  register(program: Command, io: CliIO, setExit: (code: number) => void) {
    const trace = program
      .command('trace')
      .description(
        'stream individual kernel events (syscalls, disk requests, run-queue waits), filtered in the kernel',
      );

    commonOptions(
      trace
        .command('syscall')
        .description('one line per syscall: latency and return value; --top N for a live table by p99')
        .argument('[syscall]', 'only this syscall: name (case-insensitive) or number; same as --filter'),
    )
      .option('--filter <syscall>', 'only this syscall: name (case-insensitive) or x86_64 number')
      .option('--min-latency <duration>', 'only syscalls at least this slow ("10ms"); 0 = all', '0')
      .option(
        '--top <n>',
        `live table of the N slowest (syscall, process) by p99 per second; 0 = stream`,
        '0',
      )
      .addHelpText(
        'after',
        `${STREAM_HELP}

--top aggregates in the kernel (log-linear histograms, percentiles within 12.5 %); it redraws in place
on a terminal and prints one JSON object per second otherwise ({"timestamp","windowNs","top":[…],"dropped"}).
P99 turns yellow from 10 ms and red from 100 ms.

Examples:
  sudo kerno trace syscall --pid 1234 --min-latency 10ms
  sudo kerno trace syscall openat --comm nginx -o json | jq .latencyNs
  sudo kerno trace syscall --top 10`,
      )
      .action(async (positional: string | undefined, opts: SyscallFlags, cmd: Command) => {
        setExit(await runSyscall(positional, opts, cmd, io));
      });

    commonOptions(
      trace.command('disk').description('one line per completed block request: op, latency, device, bytes'),
    )
      .option('--op <ops>', 'only these operations: read, write, sync (or r, w, s), comma-separated')
      .option(
        '--threshold <duration>',
        'only requests at least this slow (queued → completion); 0 = all',
        '0',
      )
      .option('--process <name>', 'same as --comm (the Go kerno’s name for it)')
      .addHelpText(
        'after',
        `${STREAM_HELP}

PID and COMM are the task that issued the request to the device: for buffered writes usually a kworker
or the flusher, not the program that wrote (O_DIRECT and fsync'd writes are issued by the program).

Examples:
  sudo kerno trace disk --op sync --threshold 5ms
  sudo kerno trace disk --comm postgres -o json`,
      )
      .action(async (opts: DiskFlags, cmd: Command) => {
        setExit(await runDisk(opts, cmd, io));
      });

    commonOptions(
      trace
        .command('sched')
        .description('one line per run-queue wait: how long a runnable task waited for a CPU'),
    )
      .option('--threshold <duration>', 'only waits at least this long ("5ms"); 0 = all', '0')
      .addHelpText(
        'after',
        `${STREAM_HELP}

Examples:
  sudo kerno trace sched --threshold 10ms
  sudo kerno trace sched --comm java --threshold 1ms -o json`,
      )
      .action(async (opts: SchedFlags, cmd: Command) => {
        setExit(await runSched(opts, cmd, io));
      });
  },
};

/** A flag value through a parser, its error turned into a one-line usage error naming the flag. */
function flag<T>(name: string, text: string, parse: (t: string) => T): T {
  try {
    return parse(text);
  } catch (err) {
    if (err instanceof TraceFilterError || err instanceof Error)
      throw new UsageError(`${name}: ${err.message}`);
    throw err;
  }
}

export function parseCommonFlags(opts: CommonFlags, latency: { name: string; text: string }): CommonFilters {
  const pid = flag('--pid', opts.pid, parsePid);
  return {
    pid,
    comm: opts.comm === undefined ? '' : flag('--comm', opts.comm, parseComm),
    minLatencyNs: flag(latency.name, latency.text, parseLatency),
  };
}

export function parseSyscallFlags(
  positional: string | undefined,
  opts: SyscallFlags,
): SyscallFilters & { top: number } {
  const byArg = positional === undefined ? undefined : flag('syscall', positional, parseSyscall);
  const byFlag = opts.filter === undefined ? undefined : flag('--filter', opts.filter, parseSyscall);
  if (byArg !== undefined && byFlag !== undefined && byArg !== byFlag)
    throw new UsageError(
      `the syscall argument "${positional}" and --filter "${opts.filter}" disagree; give one`,
    );
  const nr = byFlag ?? byArg ?? -1;
  if (!/^\d+$/.test(opts.top) || Number(opts.top) > MAX_TOP)
    throw new UsageError(`--top: expected a number of rows between 0 and ${MAX_TOP}, got "${opts.top}"`);
  return {
    ...parseCommonFlags(opts, { name: '--min-latency', text: opts.minLatency }),
    nr,
    top: Number(opts.top),
  };
}

export function parseDiskFlags(opts: DiskFlags): DiskFilters {
  if (
    opts.process !== undefined &&
    opts.comm !== undefined &&
    opts.process.toLowerCase() !== opts.comm.toLowerCase()
  )
    throw new UsageError(
      `--process "${opts.process}" and --comm "${opts.comm}" disagree (they are the same filter)`,
    );
  const comm = opts.comm ?? opts.process;
  return {
    ...parseCommonFlags(
      { ...opts, ...(comm !== undefined ? { comm } : {}) },
      {
        name: '--threshold',
        text: opts.threshold,
      },
    ),
    ops: opts.op === undefined ? [] : flag('--op', opts.op, parseOps),
  };
}

export function parseDurationFlag(text: string): number {
  return flag('--duration', text, parseDuration);
}

function describeFilters(f: CommonFilters & { nr?: number; ops?: readonly string[] }): string {
  const parts: string[] = [];
  if (f.nr !== undefined && f.nr >= 0) parts.push(`syscall ${syscallNameOf(f.nr)}`);
  if (f.pid) parts.push(`pid ${f.pid}`);
  if (f.comm) parts.push(`comm ${f.comm}`);
  if (f.ops && f.ops.length) parts.push(`op ${f.ops.join(',')}`);
  if (f.minLatencyNs) parts.push(`≥ ${f.minLatencyNs / 1e6} ms`);
  return parts.join(', ');
}

interface Prepared {
  output: Output;
  color: boolean;
  durationNs: number;
}

/** The checks every trace does before loading anything: context, output, privileges, the pid exists. */
function prepare(opts: CommonFlags, f: CommonFilters, cmd: Command, io: CliIO): Prepared {
  const durationNs = parseDurationFlag(opts.duration);
  const { color } = commandContext(cmd, io);
  if (f.pid && !existsSync(`/proc/${f.pid}`)) throw new UsageError(`--pid: no process ${f.pid}`);
  const priv = checkBpfPrivileges();
  if (!priv.ok) throw new ExitError(`trace needs BPF: ${priv.reason}`, EXIT.PRIVILEGES);
  return { output: opts.output ?? (io.stdoutIsTTY ? 'pretty' : 'json'), color, durationNs };
}

async function runStream<T>(
  kind: TraceKind,
  filters: CommonFilters & { nr?: number; ops?: readonly string[] },
  p: Prepared,
  io: CliIO,
  start: (opts: { onEvents(events: T[]): void }) => Promise<TraceSession<T>>,
): Promise<number> {
  const end = endOfStream(p.durationNs, io);
  const renderer: LineRenderer<T> =
    p.output === 'json' ? jsonRenderer<T>() : (prettyRenderer(kind, p.color) as unknown as LineRenderer<T>);
  const write = (s: string) => {
    if (!end.closed() && s) io.out(s);
  };
  let session: TraceSession<T>;
  try {
    session = await start({ onEvents: (events) => write(renderer.lines(events)) });
  } catch (err) {
    end.stop();
    throw new ExitError(`trace ${kind}: ${(err as Error).message}`, EXIT.FAILURE);
  }
  const started = monotonicNs();
  end.arm();
  announce(kind, filters, io);
  if (p.output === 'pretty') write(renderer.header());
  let lost = 0;
  const dropTimer = setInterval(() => {
    const s = session.stats();
    const w = dropsWarning(lost, s);
    lost = totalDrops(s.drops);
    if (w && !end.closed()) io.err(w);
  }, DROP_REPORT_MS);
  try {
    await end.done;
  } finally {
    clearInterval(dropTimer);
    end.stop();
  }
  const stats = await session.stop();
  if (!end.closed()) writeSummary(stats, monotonicNs() - started, p.output, io);
  return EXIT.OK;
}

/** One stderr line once the programs are attached: from here on, events are seen (scripts wait for it). */
function announce(
  kind: string,
  filters: CommonFilters & { nr?: number; ops?: readonly string[] },
  io: CliIO,
): void {
  const text = describeFilters(filters);
  io.err(`kerno: tracing ${kind}${text ? ` (${text})` : ''}; Ctrl+C to stop\n`);
}

function writeSummary(stats: TraceStats, elapsedNs: number, output: Output, io: CliIO): void {
  if (output === 'json') io.err(JSON.stringify(summaryObject(stats, elapsedNs)) + '\n');
  else io.err(summaryLine(stats, elapsedNs));
}

async function runSyscall(
  positional: string | undefined,
  opts: SyscallFlags,
  cmd: Command,
  io: CliIO,
): Promise<number> {
  const f = parseSyscallFlags(positional, opts);
  const p = prepare(opts, f, cmd, io);
  if (f.top > 0) return runTop(f, p, io);
  return runStream('syscall', f, p, io, (o) => startSyscallTrace(f, o));
}

async function runDisk(opts: DiskFlags, cmd: Command, io: CliIO): Promise<number> {
  const f = parseDiskFlags(opts);
  const p = prepare(opts, f, cmd, io);
  return runStream('disk', f, p, io, (o) => startDiskTrace(f, o));
}

async function runSched(opts: SchedFlags, cmd: Command, io: CliIO): Promise<number> {
  const f = parseCommonFlags(opts, { name: '--threshold', text: opts.threshold });
  const p = prepare(opts, f, cmd, io);
  return runStream('sched', f, p, io, (o) => startSchedTrace(f, o));
}

const TOP_WINDOW_MS = 1000;

async function runTop(f: SyscallFilters & { top: number }, p: Prepared, io: CliIO): Promise<number> {
  const live = p.output === 'pretty' && io.stdoutIsTTY;
  // Loaded before attach: importing Ink and React takes long enough to eat into a short --duration.
  const runUi = live ? (await import('../render/ink/trace-top.js')).runTraceTopUi : undefined;
  const end = endOfStream(p.durationNs, io);
  let top: SyscallTop;
  try {
    top = await SyscallTop.start(f);
  } catch (err) {
    end.stop();
    throw new ExitError(`trace syscall --top: ${(err as Error).message}`, EXIT.FAILURE);
  }
  const started = monotonicNs();
  end.arm();
  if (!live) announce('syscall --top', f, io);
  const ui = runUi?.({ n: f.top, filters: describeFilters(f) });
  const timer = setInterval(() => {
    if (end.closed()) return;
    const w = top.tick();
    if (ui) ui.update(w, totalDrops(top.stats().drops));
    else if (p.output === 'json')
      io.out(JSON.stringify(topJson(w, f.top, totalDrops(top.stats().drops))) + '\n');
    else io.out(renderTopPlain(w, f.top, p.color));
  }, TOP_WINDOW_MS);
  try {
    await end.done;
  } finally {
    clearInterval(timer);
    end.stop();
    ui?.unmount();
  }
  const stats = top.stop();
  if (!end.closed()) writeSummary(stats, monotonicNs() - started, p.output, io);
  return EXIT.OK;
}
