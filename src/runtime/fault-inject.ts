// Fault injection for tests and chaos runs. It decorates a collector factory, so collectors contain no
// test code, and it is inert unless KERNO_FAULT_INJECT is set (or a spec is passed explicitly).
//
// Syntax: KERNO_FAULT_INJECT=<entry>[,<entry>…]   entry = <collector>:<fault>   (spaces around tokens ignored)
//   <collector>        a collector name (syscall, tcp, …) or * for every collector
//   throw-in-start     start() rejects                     → a runtime fault (restart, backoff, breaker)
//   hang-on-start      start() never settles               → abandoned by the start timeout
//   throw-in-snapshot  every snapshot() rejects
//   throw-in-reset     every reset() rejects
//   hang-on-stop       stop() stops the real collector (links and maps still close), then never settles
//                      → abandoned by the stop timeout (2 s)
//   throw-after=N      N counts EVENTS: the instance's own stats().events. Once it reaches N the instance
//                      faults — through ctx.fault from a poll every 100 ms (the path of an exception in a
//                      ring-buffer callback), or by throwing from snapshot() if a snapshot sees it first.
//                      Each recreated instance counts from its own zero, so a steady stream faults again
//                      every N events until the breaker opens. N = 0 faults right after start.
// Several faults may target one collector: `tcp:throw-after=200,tcp:hang-on-stop,syscall:throw-in-start`.

import type { Collector, CollectorContext, CollectorFactory } from '../collectors/types.js';
import { COLLECTOR_NAMES } from '../signals/types.js';
import type { SignalsPart } from '../signals/types.js';
import type { Clock, TimerHandle } from '../util/clock.js';
import { systemClock } from '../util/clock.js';

export const FAULT_INJECT_ENV = 'KERNO_FAULT_INJECT';

// The on/off faults: spelling in KERNO_FAULT_INJECT → field of a FaultPlan (the plan's fields come from here).
const FLAGS = {
  'throw-in-start': 'throwInStart',
  'hang-on-start': 'hangOnStart',
  'throw-in-snapshot': 'throwInSnapshot',
  'throw-in-reset': 'throwInReset',
  'hang-on-stop': 'hangOnStop',
} as const;
type FlagName = keyof typeof FLAGS;

export type FaultPlan = Record<(typeof FLAGS)[FlagName], boolean> & {
  /** Events after which the instance faults (see throw-after=N). */
  throwAfterEvents?: number;
};

/** Collector name (or `*`) → faults. */
export type FaultSpec = ReadonlyMap<string, FaultPlan>;

export class FaultSpecError extends Error {
  override readonly name = 'FaultSpecError';
}

/** Thrown (or passed to ctx.fault) by an injected fault. */
export class InjectedFault extends Error {
  override readonly name = 'InjectedFault';
  constructor(
    readonly collector: string,
    readonly fault: string,
  ) {
    super(`injected fault (${FAULT_INJECT_ENV}): ${collector} ${fault}`);
  }
}

const FAULT_NAMES = [...Object.keys(FLAGS), 'throw-after=N'].join(', ');

export interface ParseOptions {
  /** Accepted collector names besides `*`. Default: the canonical COLLECTOR_NAMES. */
  collectors?: readonly string[];
}

export function parseFaultSpec(text: string, options: ParseOptions = {}): FaultSpec {
  const known = new Set(options.collectors ?? COLLECTOR_NAMES);
  const spec = new Map<string, FaultPlan>();
  for (const raw of text.split(',')) {
    const entry = raw.trim();
    if (entry === '') continue;
    const colon = entry.indexOf(':');
    if (colon < 0)
      throw new FaultSpecError(`${FAULT_INJECT_ENV}: bad entry "${entry}": expected <collector>:<fault>`);
    const collector = entry.slice(0, colon).trim();
    const fault = entry.slice(colon + 1).trim();
    if (collector !== '*' && !known.has(collector)) {
      throw new FaultSpecError(
        `${FAULT_INJECT_ENV}: unknown collector "${collector}" in "${entry}" (known: ${[...known].join(', ')}, or *)`,
      );
    }
    const plan = spec.get(collector) ?? emptyPlan();
    applyFault(plan, fault, entry);
    spec.set(collector, plan);
  }
  return spec;
}

/** The spec from the environment, or undefined when the variable is unset or empty (injection off). */
export function faultSpecFromEnv(
  env: NodeJS.ProcessEnv = process.env,
  options?: ParseOptions,
): FaultSpec | undefined {
  const text = env[FAULT_INJECT_ENV];
  if (text === undefined || text.trim() === '') return undefined;
  return parseFaultSpec(text, options);
}

/** The faults that apply to `collector` (its own entries merged with `*`), or undefined for none. */
export function planFor(spec: FaultSpec | undefined, collector: string): FaultPlan | undefined {
  if (!spec) return undefined;
  const own = spec.get(collector);
  const all = spec.get('*');
  if (!own && !all) return undefined;
  const merged = emptyPlan();
  for (const plan of [all, own]) {
    if (!plan) continue;
    for (const key of Object.values(FLAGS)) merged[key] ||= plan[key];
    if (plan.throwAfterEvents !== undefined) merged.throwAfterEvents = plan.throwAfterEvents;
  }
  return merged;
}

export interface InjectOptions {
  clock?: Clock;
  /** How often throw-after=N polls the event count. Default 100 ms. */
  pollMs?: number;
}

/** Decorate `factory` with the faults `spec` assigns to `collector`; returns `factory` itself when none. */
export function withFaultInjection(
  collector: string,
  factory: CollectorFactory,
  spec: FaultSpec | undefined,
  options: InjectOptions = {},
): CollectorFactory {
  const plan = planFor(spec, collector);
  if (!plan) return factory;
  return () => faulty(factory(), plan, options.clock ?? systemClock, options.pollMs ?? 100);
}

function faulty(inner: Collector, plan: FaultPlan, clock: Clock, pollMs: number): Collector {
  const limit = plan.throwAfterEvents;
  let timer: TimerHandle | undefined;
  let fired = false;
  const reached = (): boolean => limit !== undefined && !fired && inner.stats().events >= limit;
  const stopPolling = (): void => {
    if (timer !== undefined) clock.clearTimeout(timer);
    timer = undefined;
  };
  const poll = (ctx: CollectorContext): void => {
    timer = clock.setTimeout(
      () => {
        timer = undefined;
        if (ctx.signal.aborted || fired) return;
        let hit: boolean;
        try {
          hit = reached();
        } catch (err) {
          ctx.fault(err);
          return;
        }
        if (hit) {
          fired = true;
          ctx.fault(new InjectedFault(inner.name, `throw-after=${limit}`));
        } else poll(ctx);
      },
      pollMs,
      { unref: true },
    );
  };

  const wrapped: Collector = {
    name: inner.name,
    async start(ctx) {
      if (plan.throwInStart) throw new InjectedFault(inner.name, 'throw-in-start');
      if (plan.hangOnStart) return new Promise<void>(() => {});
      await inner.start(ctx);
      if (limit !== undefined) {
        ctx.signal.addEventListener('abort', stopPolling, { once: true });
        poll(ctx);
      }
    },
    async snapshot(windowNs): Promise<SignalsPart> {
      if (plan.throwInSnapshot) throw new InjectedFault(inner.name, 'throw-in-snapshot');
      if (reached()) {
        fired = true;
        throw new InjectedFault(inner.name, `throw-after=${limit}`);
      }
      return inner.snapshot(windowNs);
    },
    stats: () => inner.stats(),
    async stop() {
      stopPolling();
      await inner.stop();
      if (plan.hangOnStop) await new Promise<void>(() => {});
    },
  };
  if (inner.reset || plan.throwInReset) {
    wrapped.reset = async () => {
      if (plan.throwInReset) throw new InjectedFault(inner.name, 'throw-in-reset');
      await inner.reset?.();
    };
  }
  return wrapped;
}

function emptyPlan(): FaultPlan {
  const plan: Partial<FaultPlan> = {};
  for (const key of Object.values(FLAGS)) plan[key] = false;
  return plan as FaultPlan;
}

function applyFault(plan: FaultPlan, fault: string, entry: string): void {
  if (fault in FLAGS) {
    plan[FLAGS[fault as FlagName]] = true;
    return;
  }
  const m = /^throw-after\s*=\s*(.*)$/.exec(fault);
  if (m) {
    const value = (m[1] ?? '').trim();
    if (!/^\d+$/.test(value) || !Number.isSafeInteger(Number(value))) {
      throw new FaultSpecError(
        `${FAULT_INJECT_ENV}: bad count in "${entry}": throw-after needs a whole number >= 0`,
      );
    }
    plan.throwAfterEvents = Number(value);
    return;
  }
  throw new FaultSpecError(
    `${FAULT_INJECT_ENV}: unknown fault "${fault}" in "${entry}" (known: ${FAULT_NAMES})`,
  );
}
