// Continuous diagnosis: every interval the doctor rules run over a fresh window — snapshot, evaluate,
// reset — and the report of the last completed window is kept for GET /findings and
// kerno_finding_active. Windows are consecutive and never overlap: the next wait starts after the reset
// (a setInterval would stack cycles behind a slow snapshot). A failing cycle is logged and counted; the
// next one starts from a reset window all the same.

import { Counter, Gauge, type Registry } from 'prom-client';
import { buildReport, evaluateDetailed, type Evaluation } from '../doctor/engine.js';
import type { Thresholds } from '../doctor/thresholds.js';
import type { AnyRule, Report } from '../doctor/types.js';
import type { Logger } from '../runtime/log.js';
import type { Signals } from '../signals/types.js';
import { sleepUntilAborted } from '../util/sleep.js';

export interface DiagnosisSource {
  snapshot(): Promise<Signals>;
  reset(): Promise<void>;
}

export interface FindingsLoopOptions {
  source: DiagnosisSource;
  rules: readonly AnyRule[];
  /** Read at every cycle, so a SIGHUP reload applies to the next window. */
  thresholds: () => Partial<Thresholds>;
  /** Window length in ms, read before every wait. */
  intervalMs: () => number;
  version: string;
  logger: Logger;
  /** Test seam: waits `ms` or until `signal` aborts. */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  now?: () => number;
  evaluate?: (signals: Signals, rules: readonly AnyRule[], thresholds: Partial<Thresholds>) => Evaluation;
}

export class FindingsLoop {
  #report: Report | undefined;
  #windows = 0;
  #errors = 0;
  #lastWindowEndMs: number | undefined;
  #nextWindowEndMs: number | undefined;
  readonly #opts: FindingsLoopOptions;
  readonly #sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  readonly #now: () => number;

  constructor(opts: FindingsLoopOptions) {
    this.#opts = opts;
    this.#sleep = opts.sleep ?? sleepUntilAborted;
    this.#now = opts.now ?? Date.now;
  }

  /** Report of the last completed window; undefined until the first completes. */
  get report(): Report | undefined {
    return this.#report;
  }

  get windows(): number {
    return this.#windows;
  }

  get errors(): number {
    return this.#errors;
  }

  /** Epoch ms at which the last completed window ended. */
  get lastWindowEndMs(): number | undefined {
    return this.#lastWindowEndMs;
  }

  /** Epoch ms at which the window in progress is due to end (undefined when not running). */
  get nextWindowEndMs(): number | undefined {
    return this.#nextWindowEndMs;
  }

  /**
   * Runs windows until `signal` aborts; the window in progress when it aborts is abandoned (a shutdown
   * has no use for it). Never rejects.
   */
  async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      const ms = this.#opts.intervalMs();
      this.#nextWindowEndMs = this.#now() + ms;
      await this.#sleep(ms, signal);
      if (signal.aborted) break;
      await this.cycle();
    }
    this.#nextWindowEndMs = undefined;
  }

  /** One cycle: snapshot the window, evaluate, start the next window. Never rejects. */
  async cycle(): Promise<Report | undefined> {
    const { source, logger } = this.#opts;
    let report: Report | undefined;
    try {
      const signals = await source.snapshot();
      const evaluate = this.#opts.evaluate ?? evaluateDetailed;
      const { findings, ruleErrors } = evaluate(signals, this.#opts.rules, this.#opts.thresholds());
      report = buildReport(signals, findings, { version: this.#opts.version, ruleErrors });
      for (const e of ruleErrors) logger.warn('doctor rule failed', { rule: e.rule, error: e.error });
    } catch (err) {
      this.#errors++;
      logger.error('diagnosis window failed', { error: err instanceof Error ? err.message : String(err) });
    }
    try {
      await source.reset();
    } catch (err) {
      this.#errors++;
      logger.error('diagnosis window reset failed', {
        error: err instanceof Error ? err.message : String(err),
      });
    }
    if (report) {
      this.#report = report;
      this.#windows++;
      this.#lastWindowEndMs = this.#now();
      logger.info('diagnosis window complete', {
        findings: report.findings.length,
        critical: report.summary.critical,
        warning: report.summary.warning,
        rules: [...new Set(report.findings.map((f) => f.rule))],
      });
    }
    return report;
  }
}

export const DIAGNOSIS_METRIC_NAMES = [
  'kerno_finding_active',
  'kerno_diagnosis_windows_total',
  'kerno_diagnosis_errors_total',
  'kerno_diagnosis_last_window_timestamp_seconds',
] as const;

/**
 * kerno_finding_active{rule,severity} = 1 for each rule/severity with a finding in the last completed
 * window (labels bounded by the rule list × 3 severities), plus the loop's own health.
 */
export function registerDiagnosisMetrics(registry: Registry, loop: FindingsLoop): void {
  const registers = [registry];
  new Gauge({
    name: 'kerno_finding_active',
    help: 'Doctor findings in the last completed diagnosis window: 1 per rule and severity that fired.',
    labelNames: ['rule', 'severity'],
    registers,
    collect() {
      this.reset();
      for (const f of loop.report?.findings ?? []) this.set({ rule: f.rule, severity: f.severity }, 1);
    },
  });
  new Counter({
    name: 'kerno_diagnosis_windows_total',
    help: 'Diagnosis windows completed (rules evaluated over a fresh window).',
    registers,
    collect() {
      this.reset();
      this.inc(loop.windows);
    },
  });
  new Counter({
    name: 'kerno_diagnosis_errors_total',
    help: 'Diagnosis windows that failed (snapshot, evaluation or reset; details in the log).',
    registers,
    collect() {
      this.reset();
      this.inc(loop.errors);
    },
  });
  new Gauge({
    name: 'kerno_diagnosis_last_window_timestamp_seconds',
    help: 'When the last diagnosis window completed (Unix time); 0 before the first.',
    registers,
    collect() {
      this.set((loop.lastWindowEndMs ?? 0) / 1000);
    },
  });
}
