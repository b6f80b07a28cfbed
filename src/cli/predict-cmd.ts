// `kerno predict [--samples 6] [--interval 10s]` (issue: predict; reference §1.9, §4.6): the doctor's
// collectors, one snapshot per interval, then a least-squares trend per subject → time to exhaustion of
// file descriptors, cgroup memory, and the doctor's critical disk-latency, run-queue and retransmit
// thresholds. The original registered no collectors and so never predicted anything.
import { Command, Option } from 'commander';
import { MIN_POINTS, MIN_R2, predict, type Urgency } from '../doctor/predict.js';
import { SeriesBuilder } from '../doctor/predict-series.js';
import {
  predictPlainView,
  renderPredictJson,
  URGENCY_TAG,
  URGENCY_TONE,
  type PredictRun,
} from '../render/predict.js';
import { makePalette } from '../render/plain/palette.js';
import { formatDuration } from '../util/duration.js';
import { sleepUntilAborted } from '../util/sleep.js';
import { VERSION } from '../version.js';
import { commandContext } from './context.js';
import { parseWatchDuration } from './doctor-watch.js';
import { EXIT, UsageError, type CliIO } from './io.js';
import type { CommandModule } from './main.js';
import { openCommandCollection } from './command-collection.js';
import { outputWidth, renderTable } from './table.js';

interface PredictOptions {
  samples?: string;
  interval?: string;
  output?: string;
}

/** Six samples: the engine needs five (src/doctor/predict.ts says why), and one spare survives a miss. */
export const DEFAULT_SAMPLES = 6;
export const DEFAULT_INTERVAL = '10s';
const MAX_SAMPLES = 1000;

export const predictCommand: CommandModule = {
  register(program: Command, io: CliIO, setExit: (code: number) => void) {
    program
      .command('predict')
      .description(
        'time to exhaustion: snapshots at an interval, a least-squares trend per process, cgroup, disk and the host',
      )
      .option('-n, --samples <n>', `snapshots to take, at least ${MIN_POINTS} (default: ${DEFAULT_SAMPLES})`)
      .option('--interval <duration>', `time between snapshots, at least 1s (default: ${DEFAULT_INTERVAL})`)
      .addOption(
        new Option(
          '-o, --output <format>',
          'output format (auto = pretty on a TTY, plain otherwise)',
        ).choices(['auto', 'pretty', 'plain', 'json']),
      )
      .addHelpText(
        'after',
        `
Predicts, from growth toward a limit:
  file descriptors  per process, against its soft RLIMIT_NOFILE
  cgroup memory     per memory-limited cgroup, against memory.max / memory.limit_in_bytes
  disk latency      sync write p99 per device      } "limit" = the doctor's critical threshold
  run-queue delay   p99, host                      } (disk_p99_critical_ns, sched_delay_critical_ns,
  TCP retransmits   rate over the interval, host   }  tcp_retransmit_pct): where the doctor turns critical
Urgency: [IMMINENT] under 5m, [SOON] under 30m, otherwise [WATCH]. Confidence is the fit's R²; a series
predicts only with ${MIN_POINTS}+ points, R² ≥ ${MIN_R2} and a rising slope.

Examples:
  sudo kerno predict                           6 snapshots 10s apart (1 minute)
  sudo kerno predict -n 10 --interval 30s      a slower leak over 5 minutes
  sudo kerno predict -o json                   machine-readable (docs/predict-schema.md)

Exit status: 0 (with or without predictions), 2 bad usage, 3 bad configuration.`,
      )
      .action(async (opts: PredictOptions, cmd: Command) => {
        setExit(await runPredict(opts, cmd, io));
      });
  },
};

function parseSamples(text: string | undefined): number {
  if (text === undefined) return DEFAULT_SAMPLES;
  const n = /^\d+$/.test(text.trim()) ? Number(text.trim()) : NaN;
  if (!Number.isSafeInteger(n)) throw new UsageError(`--samples: ${text} is not a whole number`);
  if (n < MIN_POINTS) {
    throw new UsageError(`--samples: ${n} is too few (a trend needs at least ${MIN_POINTS} points)`);
  }
  if (n > MAX_SAMPLES) throw new UsageError(`--samples: ${n} is too many (at most ${MAX_SAMPLES})`);
  return n;
}

type PredictOutput = 'pretty' | 'plain' | 'json';

function predictOutput(output: string | undefined, stdoutIsTTY: boolean): PredictOutput {
  if (output === 'json') return 'json';
  if (output === 'plain') return 'plain';
  return stdoutIsTTY ? 'pretty' : 'plain';
}

async function runPredict(opts: PredictOptions, cmd: Command, io: CliIO): Promise<number> {
  const samples = parseSamples(opts.samples);
  const intervalNs = parseWatchDuration('--interval', opts.interval ?? DEFAULT_INTERVAL);
  const output = predictOutput(opts.output, io.stdoutIsTTY);
  const { config, logger, color } = commandContext(cmd, io);
  const { collection, stop, close, throwIfFatal } = openCommandCollection(
    io,
    config,
    logger,
    'predicting only from what /proc and cgroupfs show',
  );
  const builder = new SeriesBuilder(config.doctor.thresholds);
  const intervalMs = intervalNs / 1e6;
  let first: number | undefined;
  let last = 0;
  let coverage: PredictRun['coverage'] = [];
  if (output !== 'json') {
    io.err(
      `Taking ${samples} snapshots ${formatDuration(intervalNs)} apart (${formatDuration(samples * intervalNs)}; Ctrl+C predicts from what is in)…\n`,
    );
  }
  try {
    await collection.start();
    for (let i = 0; i < samples && !stop.signal.aborted; i++) {
      // Each snapshot covers its own interval (a reset between them): a latency p99 is that interval's,
      // and fd counts and cgroup usage are read live at the snapshot.
      await sleepUntilAborted(Math.max(0, collection.windowStartMs + intervalMs - Date.now()), stop.signal);
      if (stop.signal.aborted) break;
      const signals = await collection.snapshot();
      await collection.reset();
      builder.add(signals);
      const end = Date.parse(signals.windowEnd);
      first ??= end;
      last = end;
      coverage = signals.coverage
        .filter((c) => c.state !== 'ok' && c.state !== 'off')
        .map((c) => ({ name: c.name, state: c.state, ...(c.hint ? { hint: c.hint } : {}) }));
    }
  } finally {
    await close();
  }
  throwIfFatal();
  const result = predict(builder.series());
  const run: PredictRun = {
    version: VERSION,
    startedAtMs: first ?? Date.now(),
    endedAtMs: first === undefined ? Date.now() : last,
    snapshots: builder.snapshots,
    intervalNs,
    partial: builder.snapshots < samples,
    minPoints: MIN_POINTS,
    minConfidence: MIN_R2,
    predictions: result.predictions,
    judged: result.judged,
    coverage,
  };
  io.out(output === 'json' ? renderPredictJson(run) : renderPlain(run, output === 'pretty' && color));
  return EXIT.OK;
}

function renderPlain(run: PredictRun, color: boolean): string {
  const view = predictPlainView(run);
  const p = makePalette(color);
  let out = `${p.bold(view.banner[0]!)}\n${view.banner.slice(1).join('\n')}\n\n`;
  if (view.rows.length > 0) {
    const table = renderTable(
      view.head,
      view.rows.map((r) => r.cells),
      { color, width: outputWidth(process.stdout.isTTY === true) },
    );
    // Colour the urgency tag after layout so escape codes never count toward column widths.
    const tags = Object.entries(URGENCY_TAG) as [Urgency, string][];
    out += table
      .split('\n')
      .map((line) => {
        const hit = tags.find(([, tag]) => line.startsWith(tag));
        return hit ? p.tone(URGENCY_TONE[hit[0]], hit[1]) + line.slice(hit[1].length) : line;
      })
      .join('\n');
  }
  out += view.notes.map((n) => `${n}\n`).join('');
  return out;
}
