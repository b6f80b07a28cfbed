// `kerno start`: the collectors run continuously under the supervisor; an HTTP server exposes /metrics
// (Prometheus), /healthz and /readyz (probes), /findings (the doctor report of the last diagnosis window)
// and /panics (netconsole incidents).
//
// Lifecycle:
//   1. bind the HTTP server first, so liveness answers while collectors load (readiness says 503 until a
//      BPF program is loaded), and the netconsole socket when configured
//   2. start the collectors (a failure is reported, never fatal: procfs collectors run without root)
//   3. run diagnosis windows every daemon.interval
//   4. SIGTERM/SIGINT (io.signal): readiness 503, the server drains, collectors stop (BPF links close),
//      resolve with exit code 0 — the caller (bin/) exits; nothing here calls process.exit
//   SIGHUP: re-read the configuration; apply what can change live, log what needs a restart.

import { performance } from 'node:perf_hooks';
import { Counter, Registry } from 'prom-client';
import { buildInfo } from '../build-info.js';
import type { Config } from '../config/index.js';
import type { AnyRule, Report } from '../doctor/types.js';
import { renderJson } from '../render/json.js';
import { Collection } from '../runtime/collection.js';
import type { Logger, LogFormat } from '../runtime/log.js';
import { HTTP_LISTEN, parseListenAddress } from '../util/listen-address.js';
import { checkBpfPrivileges } from '../util/privileges.js';
import { VERSION } from '../version.js';
import { BearerAuth, TokenFileError } from './auth.js';
import { formatBanner } from './banner.js';
import { Exporter, type MetricsSource } from './exporter.js';
import { FindingsLoop, registerDiagnosisMetrics, type DiagnosisSource } from './findings-loop.js';
import { healthz, readyz, type DaemonPhase, type HealthState } from './health.js';
import { panicsHandler, startPanicReceiver, type PanicReceiver } from './panics.js';
import { createReloadableLogger } from './reloadable-logger.js';
import { diffConfig, effectiveConfig } from './reload.js';
import { DaemonServer, json, urlOf, type HttpReply, type Route } from './server.js';

/** What the daemon needs from a Collection (tests pass a double; the kernel is never mocked in kernel tests). */
export interface DaemonCollection extends MetricsSource, DiagnosisSource {
  start(): Promise<void>;
  stop(): Promise<void>;
  readonly supervisor: { readonly fatal: Promise<never> };
  /** The collector table, for the banner (which collectors need BPF). */
  readonly defs?: readonly { name: string; bpf: boolean }[];
}

export interface CollectionArgs {
  config: Config;
  logger: Logger;
  registry: Registry;
  env: NodeJS.ProcessEnv;
}

export interface DaemonStarted {
  url: string;
  port: number;
}

/** What the daemon needs from its host process (the CLI passes its own IO; tests pass fakes). */
export interface DaemonIO {
  /** Logs and fatal one-liners (the daemon never writes to stdout). */
  err(text: string): void;
  /** Aborted on SIGINT/SIGTERM. */
  signal?: AbortSignal;
  env: NodeJS.ProcessEnv;
}

/** How a run ended; the CLI turns it into an exit code. */
export type DaemonOutcome = 'stopped' | 'bad_config' | 'failed';

export interface DaemonOptions {
  config: Config;
  /** The doctor rules each diagnosis window runs (rules/index.ts ALL_RULES). */
  rules: readonly AnyRule[];
  /** Re-resolves the configuration (same file, env and flags as at start) on SIGHUP. */
  reloadConfig?: () => Config;
  createCollection?: (args: CollectionArgs) => DaemonCollection;
  /** Where SIGHUP is listened for. Default: process. */
  signals?: Pick<NodeJS.EventEmitter, 'on' | 'off'>;
  /** Called as soon as the server listens (collectors may still be loading). */
  onListening?: (info: DaemonStarted) => void;
  /** Called when the server listens and the collectors have started. */
  onStarted?: (info: DaemonStarted) => void;
  /** How long in-flight requests may take to finish at shutdown. Default 1.5 s. */
  drainMs?: number;
  maxSeriesPerFamily?: number;
  /** Reuse of a rendered /metrics exposition, ms (default 500; 0 in tests). */
  metricsCacheMs?: number;
  now?: () => number;
}

const LOOP_STOP_WAIT_MS = 1_000;

function resolveFormat(format: Config['log_format']): LogFormat {
  return format === 'auto' ? (process.stderr.isTTY ? 'text' : 'json') : format;
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function aborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    signal.addEventListener('abort', () => resolve(), { once: true });
  });
}

function within(p: Promise<unknown>, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    void p.finally(() => {
      clearTimeout(t);
      resolve();
    });
  });
}

export async function runDaemon(opts: DaemonOptions, io: DaemonIO): Promise<DaemonOutcome> {
  const startedAt = performance.now();
  const now = opts.now ?? Date.now;
  let config = opts.config;
  const { logger, reconfigure } = createReloadableLogger(
    config.log_level,
    resolveFormat(config.log_format),
    io.err,
  );
  let phase: DaemonPhase = 'starting';

  let auth: BearerAuth;
  try {
    auth = new BearerAuth(config.daemon.metrics_token_file, (w) => logger.warn(w));
  } catch (err) {
    if (!(err instanceof TokenFileError)) throw err;
    io.err(`kerno: ${err.message}\n`);
    return 'bad_config';
  }

  const registry = new Registry();
  const create = opts.createCollection ?? ((a: CollectionArgs) => new Collection(a));
  const collection = create({ config, logger, registry, env: io.env });
  const build = buildInfo();
  const exporter = new Exporter({
    registry,
    source: collection,
    logger,
    version: VERSION,
    build: { revision: build.commit, node: build.node, libbpf: build.libbpf },
    maxSeriesPerFamily: opts.maxSeriesPerFamily,
    cacheMs: opts.metricsCacheMs,
  });
  const loop = new FindingsLoop({
    source: collection,
    rules: opts.rules,
    thresholds: () => config.doctor.thresholds,
    intervalMs: () => config.daemon.interval / 1e6,
    version: VERSION,
    logger,
    now,
  });
  registerDiagnosisMetrics(registry, loop);
  const httpRequests = new Counter({
    name: 'kerno_http_requests_total',
    help: 'HTTP requests answered by the daemon, by endpoint and status code.',
    labelNames: ['handler', 'code'],
    registers: [registry],
  });

  let panics: PanicReceiver;
  try {
    panics = await startPanicReceiver(config, registry, logger);
  } catch (err) {
    io.err(`kerno: ${errorText(err)}\n`);
    return 'failed';
  }

  const health = (): HealthState => ({
    phase,
    version: VERSION,
    uptime: Math.round((performance.now() - startedAt) / 10) / 100,
    collectors: collection.states(),
  });
  const probe = (answer: { status: number; body: unknown }): HttpReply => json(answer.status, answer.body);
  const routes: Record<string, Route> = {
    '/': { handler: () => index() },
    '/healthz': { handler: () => probe(healthz(health())) },
    '/readyz': { handler: () => probe(readyz(health())) },
    '/metrics': {
      auth: true,
      handler: async () => {
        const { contentType, body } = await exporter.render();
        return { status: 200, headers: { 'Content-Type': contentType }, body };
      },
    },
    '/findings': { auth: true, handler: () => findingsReply(loop, phase, now()) },
    '/panics': {
      auth: true,
      handler: panicsHandler(
        (o) => panics.list(o),
        () => panics.corrupt(),
      ),
    },
  };
  const server = new DaemonServer({
    routes,
    logger,
    auth,
    onResponse: (handler, code) => httpRequests.inc({ handler, code: String(code) }),
  });

  let url: string;
  let port: number;
  try {
    const addr = await server.listen(parseListenAddress(config.daemon.listen, HTTP_LISTEN));
    url = urlOf(addr);
    port = addr.port;
    if (!auth.enabled && !isLoopback(addr.address))
      logger.warn(
        'serving /metrics, /findings and /panics without a token on a non-loopback address: process, ' +
          'cgroup and pod names are readable by anyone who can reach it (set --metrics-token-file)',
        { listen: url },
      );
  } catch (err) {
    io.err(`kerno: ${errorText(err)}\n`);
    await panics.stop();
    return 'failed';
  }

  // One internal stop signal: the caller's (SIGINT/SIGTERM) or a fail_fast collector.
  const stop = new AbortController();
  let outcome: DaemonOutcome = 'stopped';
  const onAbort = (): void => stop.abort();
  io.signal?.addEventListener('abort', onAbort, { once: true });
  if (io.signal?.aborted) stop.abort();
  collection.supervisor.fatal.catch((err: unknown) => {
    logger.error('a fail_fast collector failed; shutting down', { error: errorText(err) });
    outcome = 'failed';
    stop.abort();
  });

  const signals = opts.signals ?? process;
  const onHup = (): void => {
    try {
      reload();
    } catch (err) {
      logger.error('config reload failed; keeping the current configuration', { error: errorText(err) });
    }
  };
  const reload = (): void => {
    if (!opts.reloadConfig) {
      logger.warn('SIGHUP: configuration reload is not available in this mode');
      return;
    }
    let next: Config;
    try {
      next = opts.reloadConfig();
    } catch (err) {
      logger.error('config reload failed; keeping the current configuration', { error: errorText(err) });
      // A token rotation must not depend on the rest of the file being valid.
      reloadToken(config.daemon.metrics_token_file);
      return;
    }
    if (!reloadToken(next.daemon.metrics_token_file))
      next = { ...next, daemon: { ...next.daemon, metrics_token_file: config.daemon.metrics_token_file } };
    const diff = diffConfig(config, next);
    reconfigure(next.log_level, resolveFormat(next.log_format));
    config = effectiveConfig(config, next);
    for (const key of diff.restartRequired)
      logger.warn('config change needs a restart to take effect', { key });
    logger.info(
      `config reloaded; ${diff.applied.length} changes applied; ${diff.restartRequired.length} changes require restart`,
      {
        applied: diff.applied,
        restart_required: diff.restartRequired,
        ignored: diff.ignored,
        auth: auth.enabled,
      },
    );
  };
  const reloadToken = (file: string | undefined): boolean => {
    try {
      auth.load(file, (w) => logger.warn(w));
      return true;
    } catch (err) {
      logger.error('metrics token reload failed; the previous token stays in force', {
        error: errorText(err),
      });
      return false;
    }
  };
  signals.on('SIGHUP', onHup);
  opts.onListening?.({ url, port });

  let loopDone: Promise<void> = Promise.resolve();
  try {
    logger.info('kerno daemon starting', {
      version: VERSION,
      listen: url,
      collectors: collection.states().length,
    });
    const starting = collection.start();
    // A shutdown while collectors load must not wait out their start timeouts; stop() retires them.
    await Promise.race([starting.catch(() => {}), aborted(stop.signal)]);
    if (!stop.signal.aborted) {
      phase = 'running';
      const states = collection.states();
      const loaded = states.reduce((n, s) => n + s.programsLoaded, 0);
      const total = states.reduce((n, s) => n + s.programsTotal, 0);
      logger.info(`loaded ${loaded} of ${total} BPF programs`, {
        failed: states.filter((s) => s.state !== 'attached').map((s) => s.name),
      });
      const priv = checkBpfPrivileges();
      io.err(
        formatBanner({
          version: VERSION,
          pid: process.pid,
          url,
          collectors: states,
          bpfCollectors: new Set((collection.defs ?? []).filter((d) => d.bpf).map((d) => d.name)),
          off: (collection.defs ?? [])
            .map((d) => d.name)
            .filter((n) => config.collectors[n as keyof Config['collectors']] === false),
          intervalNs: config.daemon.interval,
          authEnabled: auth.enabled,
          netconsole: panics.address,
          privilegeProblem: priv.ok ? undefined : priv.reason,
        }),
      );
      loopDone = loop.run(stop.signal);
      opts.onStarted?.({ url, port });
      await aborted(stop.signal);
    }
  } finally {
    phase = 'shutting_down';
    logger.info('kerno daemon stopping', { reason: outcome === 'stopped' ? 'signal' : 'collector failure' });
    await server.close(opts.drainMs ?? 1_500);
    await within(loopDone, LOOP_STOP_WAIT_MS);
    await collection.stop();
    await panics
      .stop()
      .catch((err: unknown) => logger.error('netconsole stop failed', { error: errorText(err) }));
    signals.off('SIGHUP', onHup);
    io.signal?.removeEventListener('abort', onAbort);
    logger.info('kerno daemon stopped');
  }
  return outcome;
}

function isLoopback(address: string): boolean {
  return address === '::1' || address.startsWith('127.') || address.startsWith('::ffff:127.');
}

function index(): HttpReply {
  return {
    status: 200,
    headers: { 'Content-Type': 'text/plain; charset=utf-8' },
    body: [
      `kerno ${VERSION} daemon`,
      '  /metrics   Prometheus exposition',
      '  /healthz   liveness (JSON)',
      '  /readyz    readiness (JSON): 200 when a BPF program is loaded',
      '  /findings  doctor report of the last diagnosis window (JSON, as `kerno doctor --output json`)',
      '  /panics    kernel incidents received over netconsole (JSON)',
      '',
    ].join('\n'),
  };
}

/** A report is immutable once its window completed: encode it once, however often it is fetched. */
const encodedReports = new WeakMap<Report, Buffer>();

function findingsReply(loop: FindingsLoop, phase: DaemonPhase, nowMs: number): HttpReply {
  const report = loop.report;
  if (report) {
    let body = encodedReports.get(report);
    if (!body) encodedReports.set(report, (body = Buffer.from(renderJson(report), 'utf8')));
    return {
      status: 200,
      headers: { 'Content-Type': 'application/json; charset=utf-8' },
      body,
    };
  }
  const due = loop.nextWindowEndMs;
  const message =
    phase === 'starting'
      ? 'no diagnosis window has completed yet: collectors are still loading'
      : due !== undefined
        ? `no diagnosis window has completed yet; the first completes in ${Math.max(0, Math.ceil((due - nowMs) / 1000))}s`
        : 'no diagnosis window has completed yet';
  return json(503, { status: 'pending', message });
}
