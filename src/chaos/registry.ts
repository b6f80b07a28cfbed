// The ordered list of scenarios and the scenario → rule table (data, so the CLI, verify scripts and tests
// can check the pairing without running anything).
import { cascadeScenario } from './scenarios/cascade.js';
import { cgroupMemoryScenario } from './scenarios/cgroup-memory.js';
import { cpuScenario } from './scenarios/cpu.js';
import { diskSatScenario } from './scenarios/disk-sat.js';
import { fdLeakScenario } from './scenarios/fd-leak.js';
import { hostMemoryScenario } from './scenarios/host-memory.js';
import { memoryStallScenario } from './scenarios/memory-stall.js';
import { oomKillScenario } from './scenarios/oom-kill.js';
import { slowDiskScenario } from './scenarios/slow-disk.js';
import { slowIoScenario } from './scenarios/slow-io.js';
import { syscallErrorsScenario } from './scenarios/syscall-errors.js';
import { tcpLossScenario } from './scenarios/tcp-loss.js';
import { tcpRttScenario } from './scenarios/tcp-rtt.js';
import type { Scenario } from './types.js';

export const SCENARIOS: readonly Scenario[] = [
  cpuScenario,
  fdLeakScenario,
  cgroupMemoryScenario,
  oomKillScenario,
  memoryStallScenario,
  hostMemoryScenario,
  tcpLossScenario,
  tcpRttScenario,
  syscallErrorsScenario,
  slowIoScenario,
  diskSatScenario,
  slowDiskScenario,
  cascadeScenario,
];

/** Scenario name → the doctor rules it must make fire at production thresholds. */
export const SCENARIO_RULES: Readonly<Record<string, readonly string[]>> = Object.freeze(
  Object.fromEntries(SCENARIOS.map((s) => [s.name, s.rules])),
);

/** Scenario name → groups of rules; each group must see at least one of its rules fire (see Scenario.expect). */
export const SCENARIO_EXPECT: Readonly<Record<string, readonly (readonly string[])[]>> = Object.freeze(
  Object.fromEntries(SCENARIOS.map((s) => [s.name, expectedGroups(s)])),
);

/**
 * The scenarios that induce a rule, in registry order: the one built for it first, cascade (last in the
 * registry) after. Scenarios declare their rules; this is the rule → scenario side, derived.
 */
export function scenariosForRule(ruleId: string): string[] {
  return SCENARIOS.filter((s) => s.rules.includes(ruleId)).map((s) => s.name);
}

export function expectedGroups(s: Scenario): readonly (readonly string[])[] {
  return s.expect ?? s.rules.map((r) => [r]);
}

export function findScenario(name: string): Scenario | undefined {
  return SCENARIOS.find((s) => s.name === name);
}

export function getScenario(name: string): Scenario {
  const s = findScenario(name);
  if (!s) throw new Error(`unknown scenario "${name}" — see \`kerno chaos --list\``);
  return s;
}
