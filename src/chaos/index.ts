// Public API of `kerno chaos` (the CLI wires flags to these): list, describe, run, and clean up after a
// killed run. Nothing here touches process signals: the caller passes an AbortSignal, and aborting it
// stops the workloads and removes everything the run created.
import { cleanupStale } from './cleanup.js';
import { detectHostFacts } from './host.js';
import { formatDuration } from '../util/duration.js';
import { validateOptions } from './options.js';
import { expectedGroups, getScenario, SCENARIOS } from './registry.js';
import { ChaosSession } from './session.js';
import { ensureWorkerBinary } from './worker.js';
import type {
  ChaosLog,
  ChaosOptions,
  ChaosSubject,
  HostFacts,
  Inducer,
  Scenario,
  ScenarioResult,
} from './types.js';

export type {
  ChaosLog,
  ChaosOptions,
  ChaosSubject,
  HostFacts,
  Inducer,
  Intensity,
  ScenarioResult,
} from './types.js';
export { INDUCERS } from './types.js';
export type { CleanupReport } from './cleanup.js';
export { SCENARIO_EXPECT, SCENARIO_RULES, getScenario, scenariosForRule } from './registry.js';
export { DEFAULT_DURATION_NS, DEFAULT_INTENSITY, parseInducer, parseIntensity } from './options.js';
export { cleanupStale } from './cleanup.js';

export interface ScenarioInfo {
  name: string;
  rules: readonly string[];
  /** Groups of rules; each group needs one of its rules to fire (see SCENARIO_EXPECT). */
  expect: readonly (readonly string[])[];
  description: string;
  needsRoot: boolean;
  /** kerno-worker first; stress-ng where the scenario can also be induced by it. */
  inducers: readonly Inducer[];
}

export function scenarioInducers(s: Scenario): readonly Inducer[] {
  return s.inducers ?? ['kerno-worker'];
}

/** The scenario with options checked against what it supports (an unsupported inducer is an error). */
function checked(name: string, options: ChaosOptions): { scenario: Scenario; opts: ChaosOptions } {
  const scenario = getScenario(name);
  const opts = validateOptions(options);
  const inducers = scenarioInducers(scenario);
  if (!inducers.includes(opts.inducer!)) {
    throw new Error(
      `scenario ${name} cannot be induced by ${opts.inducer}: it supports ${inducers.join(', ')}`,
    );
  }
  return { scenario, opts };
}

/** The rows of `kerno chaos --list` (SCENARIO, PAIRED RULE, DESCRIPTION), in registry order. */
export function listScenarios(): ScenarioInfo[] {
  return SCENARIOS.map((s) => ({
    name: s.name,
    rules: s.rules,
    expect: expectedGroups(s),
    description: s.description,
    needsRoot: s.needsRoot,
    inducers: scenarioInducers(s),
  }));
}

/** What `kerno chaos --induce <name>` will do, one line per step (shown before asking for --yes). */
export function describeScenario(
  name: string,
  options: ChaosOptions,
  host: HostFacts = detectHostFacts(),
): string[] {
  const { scenario, opts } = checked(name, options);
  return [
    `scenario ${scenario.name} (intensity ${opts.intensity}, inducer ${opts.inducer}, duration ${formatDuration(opts.durationNs)}): ${scenario.description}`,
    ...scenario.plan(opts, host).map((l) => `  - ${l}`),
    `  - everything it creates is named kerno-chaos-<id> (kerno_chaos_<id> for nft, kc<id>h/n for veth) and is removed at the end, on Ctrl+C/SIGTERM, or by the next \`kerno chaos\` run if this one is killed`,
    `  - expected to fire: ${formatExpectation(expectedGroups(scenario))}`,
    ...(scenario.needsRoot && !host.isRoot ? ['  - NOTE: this scenario needs root'] : []),
  ];
}

/** [[a], [b, c]] → "a, and b or c"; for the confirmation text and the CLI's "rule expected to fire" line. */
export function formatExpectation(groups: readonly (readonly string[])[]): string {
  const parts = groups.map((g) => g.join(' or '));
  return parts.length <= 1 ? (parts[0] ?? '') : `${parts.slice(0, -1).join(', ')}, and ${parts.at(-1)}`;
}

export interface RunHooks {
  signal?: AbortSignal;
  log?: ChaosLog;
  /** Called as soon as a subject (pid, cgroup, connection, device) is running. */
  onSubject?: (subject: ChaosSubject) => void;
  /** Override detected host facts (tests). */
  host?: HostFacts;
}

/**
 * Runs one scenario to its end (or until `signal` aborts; that is a normal, successful end) and removes
 * everything it created, also when it fails. Leftovers of an earlier killed run are removed first.
 */
export async function runScenario(
  name: string,
  options: ChaosOptions,
  hooks: RunHooks = {},
): Promise<ScenarioResult> {
  const { scenario, opts } = checked(name, options);
  const host = hooks.host ?? detectHostFacts();
  const log = hooks.log ?? (() => {});
  const signal = hooks.signal ?? new AbortController().signal;
  if (scenario.needsRoot && !host.isRoot) {
    throw new Error(
      `chaos scenario ${name} needs root (it creates cgroups, network namespaces or nftables rules)`,
    );
  }
  await cleanupStale(log);
  const bin = await ensureWorkerBinary();
  const session = new ChaosSession(name, opts.durationNs, bin);
  let result: ScenarioResult | undefined;
  let failure: unknown;
  try {
    result = await scenario.run(opts, {
      signal,
      log,
      session,
      host,
      onSubject: hooks.onSubject ?? (() => {}),
    });
  } catch (err) {
    failure = err;
  } finally {
    const { failed } = await session.close(log);
    if (failed.length > 0) {
      const msg = `chaos run ${session.id}: ${failed.length} resource(s) could not be removed (the next kerno chaos run retries): ${failed.join('; ')}`;
      if (failure === undefined) failure = new Error(msg);
      else log(`    ${msg}`);
    }
  }
  if (failure !== undefined) {
    throw failure instanceof Error
      ? new Error(`chaos ${name}: ${failure.message}`, { cause: failure })
      : failure;
  }
  return result!;
}
