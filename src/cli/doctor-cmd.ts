// `kerno doctor`: a bounded collection window → rules → a ranked report. Ink live view + report on a TTY,
// plain text otherwise, JSON / Markdown on request. Ctrl+C ends the window early and analyses the partial
// data; a second Ctrl+C quits.
import { Command, Option } from 'commander';
import { Collection } from '../runtime/collection.js';
import { evaluate, evaluateDetailed, buildReport, onlyCriticalReport } from '../doctor/engine.js';
import { ALL_RULES } from '../../rules/index.js';
import type { Report } from '../doctor/types.js';
import {
  renderAiSection,
  renderJson,
  renderMarkdown,
  renderMarkdownAi,
  renderPlain,
  renderQuietLine,
} from '../render/index.js';
import type { LiveCollector } from '../render/live-model.js';
import type { CollectorStatus } from '../runtime/types.js';
import { AI_PRIVACY_MODES, resolveOutput, type Config, type ConfigFlags } from '../config/index.js';
import { formatDuration } from '../util/duration.js';
import { sleepUntilAborted } from '../util/sleep.js';
import { checkBpfPrivileges } from '../util/privileges.js';
import { startOnsetSampling } from '../runtime/onset-sampler.js';
import { VERSION } from '../version.js';
import { commandContext, ExitError } from './context.js';
import { EXIT, UsageError, type CliIO } from './io.js';
import type { CommandModule } from './main.js';
import { demotePermissionWarnings } from './privilege-log.js';
import type { DoctorAi } from './doctor-ai.js';

interface DoctorOptions {
  duration?: string;
  output?: string;
  exitCode?: boolean;
  continuous?: boolean;
  interval?: string;
  quiet?: boolean;
  banner?: boolean;
  onlyCritical?: boolean;
  from?: string;
  tokenFile?: string;
  watch?: boolean;
  ai?: boolean;
  aiPrivacy?: string;
}

export const doctorCommand: CommandModule = {
  register(program: Command, io: CliIO, setExit: (code: number) => void) {
    program
      .command('doctor')
      .description('diagnose this host: collect kernel signals for a window, then report ranked findings')
      .option('-d, --duration <duration>', 'collection window, 1s…5m (default: doctor.duration, 30s)')
      .addOption(
        new Option(
          '-o, --output <format>',
          'output format (auto = pretty on a TTY, plain otherwise)',
        ).choices(['auto', 'pretty', 'plain', 'json', 'md']),
      )
      .option('--exit-code', 'exit 1 when a critical finding exists')
      .option('--continuous', 'repeat diagnosis cycles until interrupted')
      .option(
        '--interval <duration>',
        'pause between cycles with --continuous (default: doctor.interval, 60s); window length with --watch (default 10s)',
      )
      .option('-w, --watch', 'live diff of findings, one window per --interval: new, ongoing, resolved')
      .option('-q, --quiet', 'one line when nothing is wrong (pretty/plain output)')
      .option('--no-banner', 'omit the header')
      .option('--only-critical', 'show critical findings only')
      .option(
        '--from <url>',
        "render a running daemon's current findings (kerno start) instead of collecting",
      )
      .option('--token-file <file>', 'bearer token file for --from')
      .option('--ai', 'after the report, a summary from the configured AI provider (needs ai.enabled: true)')
      .addOption(
        new Option('--ai-privacy <mode>', 'what --ai sends (default: ai.privacy, summary)').choices(
          AI_PRIVACY_MODES,
        ),
      )
      .addHelpText(
        'after',
        `
Examples:
  sudo kerno doctor                         30 s window, interactive report
  sudo kerno doctor -d 10s -o json          machine-readable report (docs/report-schema.md)
  sudo kerno doctor --exit-code -q          for cron/CI: one line when healthy, exit 1 on critical
  sudo kerno doctor --watch --interval 5s   live screen of new, ongoing and resolved findings
  kerno doctor --from http://node-1:9733    findings of a running daemon
  sudo kerno doctor --ai                    the report, then an AI summary (docs/ai.md; off by default)

Exit status: 0 ok, 1 critical finding with --exit-code, --ai when AI is not configured or its request
failed (the report is still printed), 2 bad usage, 3 bad configuration.`,
      )
      .action(async (opts: DoctorOptions, cmd: Command) => {
        setExit(await runDoctor(opts, cmd, io));
      });
  },
};

function configFlags(opts: DoctorOptions): { flags: ConfigFlags; names: Record<string, string> } {
  const doctor: Record<string, string> = {};
  if (opts.duration !== undefined) doctor.duration = opts.duration;
  if (opts.interval !== undefined) doctor.interval = opts.interval;
  if (opts.output !== undefined) doctor.output = opts.output;
  const flags: Record<string, unknown> = {};
  if (Object.keys(doctor).length) flags.doctor = doctor;
  if (opts.aiPrivacy !== undefined) flags.ai = { privacy: opts.aiPrivacy };
  return {
    flags: flags as ConfigFlags,
    names: {
      'doctor.duration': '--duration',
      'doctor.interval': '--interval',
      'doctor.output': '--output',
      'ai.privacy': '--ai-privacy',
    },
  };
}

async function runDoctor(opts: DoctorOptions, cmd: Command, io: CliIO): Promise<number> {
  if (opts.watch && opts.ai) throw new UsageError('--ai and --watch: the AI summary is for one report');
  if (opts.aiPrivacy !== undefined && !opts.ai) throw new UsageError('--ai-privacy needs --ai');
  if (opts.watch) return (await import('./doctor-watch.js')).runDoctorWatch(opts, cmd, io);
  const { flags, names } = configFlags(opts);
  const { config, logger, color } = commandContext(cmd, io, flags, names);
  const output = resolveOutput(config.doctor.output, io.stdoutIsTTY);
  const ai = opts.ai ? (await import('./doctor-ai.js')).prepareDoctorAi(config, io.env) : undefined;
  if (opts.from !== undefined) return renderFromDaemon(opts, output, color, io, ai);
  const priv = checkBpfPrivileges();
  if (!priv.ok) {
    io.err(
      `kerno: ${priv.reason}; BPF collectors cannot load — reporting only what /proc and cgroupfs show (see the coverage section)\n`,
    );
  }
  const collection = new Collection({
    config,
    logger: priv.ok ? logger : demotePermissionWarnings(logger),
    env: io.env,
  });
  // fail_fast policy: a collector declared essential failed — end the window and exit non-zero.
  let fatal: Error | undefined;
  const fatalWindow = new AbortController();
  collection.supervisor.fatal.catch((err: Error) => {
    fatal = err;
    fatalWindow.abort();
  });
  const windowSignal = io.signal ? AbortSignal.any([io.signal, fatalWindow.signal]) : fatalWindow.signal;
  const windowIO: CliIO = { ...io, signal: windowSignal };
  // Load the UI code before the window opens so its start-up cost is not taken out of the window.
  if (output === 'pretty' && io.stdoutIsTTY) await preloadUi();
  let code: number = EXIT.OK;
  try {
    for (let cycle = 0; ; cycle++) {
      if (cycle === 0) await collection.start();
      else await collection.reset();
      if (fatal) break;
      const report = await oneWindow(collection, config, opts, output, color, windowIO, ai);
      if (fatal) break;
      code = Math.max(code, exitCodeFor(report, opts, io));
      if (!opts.continuous || io.signal?.aborted) break;
      await sleepUntilAborted(config.doctor.interval / 1e6, io.signal);
      if (io.signal?.aborted) break;
    }
  } finally {
    await collection.stop();
  }
  if (fatal) throw new ExitError(fatal.message, EXIT.FAILURE);
  return code;
}

async function oneWindow(
  collection: Collection,
  config: Config,
  opts: DoctorOptions,
  output: string,
  color: boolean,
  io: CliIO,
  ai: DoctorAi | undefined,
): Promise<Report> {
  const durationMs = config.doctor.duration / 1e6;
  const window = new AbortController();
  const onAbort = (): void => window.abort();
  io.signal?.addEventListener('abort', onAbort, { once: true });
  const interactive = output === 'pretty' && io.stdoutIsTTY;
  let ui: Awaited<ReturnType<typeof startUi>> | undefined;
  try {
    if (interactive) {
      ui = await startUi(collection, config, window, color);
    } else if (output !== 'json') {
      io.err(`Collecting kernel signals for ${formatDuration(config.doctor.duration)}…\n`);
    }
    // Per-second onsets for the causal timeline (cost measured in bench/onset-sampling).
    const onsets = startOnsetSampling({
      snapshot: () => collection.snapshot(),
      evaluate: (s) => evaluate(s, ALL_RULES, config.doctor.thresholds),
      startMs: collection.windowStartMs,
      endMs: collection.windowStartMs + durationMs,
      signal: window.signal,
    });
    // The window opened when the collectors attached; UI start-up must not lengthen it.
    await sleepUntilAborted(Math.max(0, durationMs - (Date.now() - collection.windowStartMs)), window.signal);
    await onsets.stop();
    const partial = window.signal.aborted;
    if (partial && !interactive && output !== 'json') io.err('Interrupted — analyzing partial data.\n');
    const signals = await collection.snapshot();
    const evaluation = evaluateDetailed(signals, ALL_RULES, config.doctor.thresholds);
    const { ruleErrors } = evaluation;
    const findings = onsets.sampler.withOnsets(evaluation.findings, Date.parse(signals.windowEnd));
    const report = buildReport(signals, findings, {
      version: VERSION,
      partial,
      ruleErrors,
      selfCost: collection.selfCost(),
    });
    if (ai) {
      if (!interactive && output !== 'json') io.err(`Asking ${ai.provider} (${ai.model}) for a summary…\n`);
      report.ai = await ai.summarise(report);
    }
    const onlyCritical = Boolean(opts.onlyCritical);
    if (ui) {
      if (opts.quiet && renderQuietLine(report, { onlyCritical }) !== null) {
        ui.unmount();
        io.out(renderQuietLine(report, { onlyCritical })! + '\n');
      } else await ui.showReport(report, { onlyCritical, banner: opts.banner !== false });
      ui = undefined;
      if (report.ai) io.out('\n' + renderAi(report, 'pretty', color));
    } else io.out(render(report, output, opts, color));
    return report;
  } finally {
    ui?.unmount();
    io.signal?.removeEventListener('abort', onAbort);
  }
}

function render(report: Report, output: string, opts: DoctorOptions, color: boolean): string {
  const onlyCritical = Boolean(opts.onlyCritical);
  if (output === 'json') {
    const shown = onlyCritical ? onlyCriticalReport(report) : report;
    return renderJson(shown) + '\n';
  }
  const ai = report.ai ? (output === 'md' ? '\n' : '') + renderAi(report, output, color) : '';
  if (output === 'md') return renderMarkdown(report, { onlyCritical }) + ai;
  if (opts.quiet) {
    const line = renderQuietLine(report, { onlyCritical });
    if (line !== null) return line + '\n' + ai;
  }
  return (
    renderPlain(report, {
      color,
      banner: opts.banner !== false,
      onlyCritical,
      width: process.stdout.columns,
    }) + ai
  );
}

/** The AI section after the report (its text form; JSON carries it as the report's `ai` field). */
function renderAi(report: Report, output: string, color: boolean): string {
  if (!report.ai) return '';
  if (output === 'md') return renderMarkdownAi(report.ai);
  return renderAiSection(report.ai, {
    color,
    width: process.stdout.columns,
    title: 'AI SUMMARY',
    note: 'AI-generated from the findings above: check before acting. The rules decide the findings, not the model.',
  });
}

function exitCodeFor(report: Report, opts: DoctorOptions, io: CliIO): number {
  // --ai was asked for and not delivered: the report stands, the run did not do all it was asked.
  if (report.ai?.error !== undefined) {
    io.err(`kerno: AI summary: ${report.ai.error}\n`);
    return Math.max(EXIT.FAILURE, exitCodeForFindings(report, opts, io));
  }
  return exitCodeForFindings(report, opts, io);
}

function exitCodeForFindings(report: Report, opts: DoctorOptions, io: CliIO): number {
  if (!opts.exitCode) return EXIT.OK;
  if (!report.findings.some((f) => f.severity === 'critical')) return EXIT.OK;
  io.err('kerno: critical findings detected (exit code 1)\n');
  return EXIT.FAILURE;
}

function toLive(s: CollectorStatus): LiveCollector {
  return {
    name: s.name,
    state: s.state === 'stopped' ? 'disabled' : s.state,
    hint: s.hint,
    events: s.events,
    restarts: s.restarts,
    eventsDropped: s.eventsDropped,
  };
}

function preloadUi(): Promise<typeof import('../render/ink/run-doctor-ui.js')> {
  // Loaded lazily: JSON and plain runs never pay for React/Ink. React's production build is ~2× cheaper.
  process.env.NODE_ENV ??= 'production';
  return import('../render/ink/run-doctor-ui.js');
}

async function startUi(collection: Collection, config: Config, window: AbortController, color: boolean) {
  const { runDoctorUi } = await preloadUi();
  return runDoctorUi({
    durationNs: config.doctor.duration,
    startedAt: collection.windowStartMs,
    subscribe: (listener) => collection.supervisor.onStateChange(listener),
    getState: () => ({ collectors: collection.states().map(toLive) }),
    // Counts and offenders change without any state change: read them every frame (cheap live() reads).
    readLive: () => collection.live(),
    color,
    onInterrupt: (presses) => {
      window.abort();
      // A second Ctrl+C: stop analysing, shut down (bin/ exits on the next signal).
      if (presses > 1) process.kill(process.pid, 'SIGINT');
    },
    stdout: process.stdout,
    stdin: process.stdin,
    stderr: process.stderr,
  });
}

async function renderFromDaemon(
  opts: DoctorOptions,
  output: string,
  color: boolean,
  io: CliIO,
  ai: DoctorAi | undefined,
): Promise<number> {
  const from = opts.from ?? '';
  if (from.trim() === '') throw new UsageError('--from: empty URL (expected e.g. http://10.0.0.5:9733)');
  const { fetchFindings, DaemonClientError, sanitizeRemoteText } = await import('../daemon/client.js');
  let token: string | undefined;
  if (opts.tokenFile !== undefined) {
    // The same rules as the daemon's daemon.metrics_token_file: an empty token is an error on both sides.
    const { readTokenFile, TokenFileError } = await import('../daemon/auth.js');
    try {
      token = readTokenFile(opts.tokenFile, '--token-file').token;
    } catch (err) {
      if (err instanceof TokenFileError) throw new ExitError(err.message, EXIT.CONFIG);
      throw err;
    }
  }
  let report: Report;
  try {
    report = await fetchFindings(from, { token, timeoutMs: 10_000 });
  } catch (err) {
    if (!(err instanceof DaemonClientError)) throw err;
    if (err.kind === 'bad_url') throw new UsageError(err.message);
    throw new ExitError(`--from ${sanitizeRemoteText(from)}: ${err.message}`, EXIT.FAILURE);
  }
  if (ai) report.ai = await ai.summarise(report);
  io.out(render(report, output === 'pretty' ? 'plain' : output, opts, color));
  return exitCodeFor(report, opts, io);
}
