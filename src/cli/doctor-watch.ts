// `kerno doctor --watch [--interval 10s] [--duration D]` (issue 18, reference §4.7): consecutive windows of
// `--interval`, each diagnosed as `kerno doctor` would and diffed against the previous one — NEW, ONGOING
// (with what changed in the evidence) and RESOLVED findings. An Ink screen on a TTY; otherwise one JSON
// object per window (NDJSON), or plain text blocks with -o plain. Runs until Ctrl+C or --duration.
import type { Command } from 'commander';
import { startOnsetSampling } from '../runtime/onset-sampler.js';
import { buildReport, evaluate, evaluateDetailed } from '../doctor/engine.js';
import { diffFindings, EMPTY_WATCH_STATE, type WatchState } from '../doctor/watch-diff.js';
import { ALL_RULES } from '../../rules/index.js';
import { renderWatchJson, renderWatchPlain, type WatchFrame } from '../render/watch.js';
import { DurationParseError, formatDuration, parseDuration } from '../util/duration.js';
import { sleepUntilAborted } from '../util/sleep.js';
import { VERSION } from '../version.js';
import { commandContext } from './context.js';
import { EXIT, UsageError, type CliIO } from './io.js';
import { openCommandCollection } from './command-collection.js';

export interface WatchOptions {
  duration?: string;
  output?: string;
  interval?: string;
  continuous?: boolean;
  from?: string;
}

export const DEFAULT_WATCH_INTERVAL = '10s';
const SECOND_NS = 1e9;
/** How long a resolved finding stays on the live screen (reference §4.7). */
const KEEP_RESOLVED_MS = 30_000;

/** A duration flag, at least 1 s: a bad value is a one-line usage error (exit 2). */
export function parseWatchDuration(flag: string, text: string): number {
  let ns: number;
  try {
    ns = parseDuration(text);
  } catch (err) {
    if (err instanceof DurationParseError) throw new UsageError(`${flag}: ${err.message}`);
    throw err;
  }
  if (ns < SECOND_NS) throw new UsageError(`${flag}: ${text} is too short (at least 1s)`);
  return ns;
}

type WatchOutput = 'pretty' | 'plain' | 'json';

/** TTY: the Ink screen; otherwise NDJSON unless -o plain. Markdown has no sense as a stream. */
function watchOutput(output: string | undefined, stdoutIsTTY: boolean): WatchOutput {
  switch (output) {
    case undefined:
    case 'auto':
      return stdoutIsTTY ? 'pretty' : 'json';
    case 'pretty':
      return stdoutIsTTY ? 'pretty' : 'plain';
    case 'plain':
    case 'json':
      return output;
    default:
      throw new UsageError(`--watch: output ${output} is not supported (use pretty, plain or json)`);
  }
}

export async function runDoctorWatch(opts: WatchOptions, cmd: Command, io: CliIO): Promise<number> {
  if (opts.continuous) throw new UsageError('--watch and --continuous cannot be combined');
  if (opts.from !== undefined) throw new UsageError('--watch and --from cannot be combined');
  const intervalNs = parseWatchDuration('--interval', opts.interval ?? DEFAULT_WATCH_INTERVAL);
  const totalNs = opts.duration === undefined ? undefined : parseWatchDuration('--duration', opts.duration);
  const output = watchOutput(opts.output, io.stdoutIsTTY);
  const { config, logger, color } = commandContext(cmd, io);
  const { collection, stop, close, throwIfFatal } = openCommandCollection(
    io,
    config,
    logger,
    'watching only what /proc and cgroupfs show',
  );
  // healthy_system-like rules speak only when nothing else does: in a diff they would come and go as noise;
  // the screen says "no findings" itself.
  const fallbackRules = new Set(ALL_RULES.filter((r) => r.onlyIfNoFindings).map((r) => r.id));
  const intervalMs = intervalNs / 1e6;
  let ui: import('../render/ink/watch-view.js').WatchUi | undefined;
  try {
    if (output === 'pretty') {
      process.env.NODE_ENV ??= 'production';
      const { runWatchUi } = await import('../render/ink/watch-view.js');
      ui = runWatchUi({
        waiting: `collecting the first ${formatDuration(intervalNs)} window…`,
        onInterrupt: (presses) => {
          stop.abort();
          if (presses > 1) process.kill(process.pid, 'SIGINT');
        },
        stdout: process.stdout,
        stdin: process.stdin,
        stderr: process.stderr,
      });
    } else if (output === 'plain') {
      io.err(`Watching kernel signals in ${formatDuration(intervalNs)} windows (Ctrl+C to stop)…\n`);
    }
    await collection.start();
    const startedAtMs = collection.windowStartMs;
    const deadlineMs = totalNs === undefined ? Infinity : startedAtMs + totalNs / 1e6;
    let state: WatchState = EMPTY_WATCH_STATE;
    while (!stop.signal.aborted && Date.now() < deadlineMs) {
      const windowStart = collection.windowStartMs;
      const endMs = Math.min(windowStart + intervalMs, deadlineMs);
      // A stub of a window at the --duration end would mark everything RESOLVED for want of data.
      if (state.cycle > 0 && endMs - windowStart < intervalMs / 2) break;
      const onsets = startOnsetSampling({
        snapshot: () => collection.snapshot(),
        evaluate: (s) => evaluate(s, ALL_RULES, config.doctor.thresholds),
        startMs: windowStart,
        endMs,
        signal: stop.signal,
      });
      await sleepUntilAborted(Math.max(0, endMs - Date.now()), stop.signal);
      await onsets.stop();
      // Ctrl+C quits: a half window diffed against full ones would report changes that are not there.
      if (stop.signal.aborted) break;
      const signals = await collection.snapshot();
      const ev = evaluateDetailed(signals, ALL_RULES, config.doctor.thresholds);
      const findings = onsets.sampler.withOnsets(ev.findings, Date.parse(signals.windowEnd));
      const report = buildReport(signals, findings, { version: VERSION, ruleErrors: ev.ruleErrors });
      await collection.reset();
      state = diffFindings(
        state,
        report.findings.filter((f) => !fallbackRules.has(f.rule)),
        Date.parse(report.windowEnd),
        { keepResolvedMs: output === 'pretty' ? KEEP_RESOLVED_MS : 0 },
      );
      const frame: WatchFrame = { state, report, startedAtMs, intervalNs };
      if (ui) ui.show(frame);
      else if (output === 'json') io.out(renderWatchJson(frame));
      else io.out(renderWatchPlain(frame, { color, width: process.stdout.columns }));
    }
    await ui?.close();
  } finally {
    ui?.unmount();
    await close();
  }
  throwIfFatal();
  return EXIT.OK;
}
