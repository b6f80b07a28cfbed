// The list of scenarios and the scenario → rule table (data, so the CLI, verify scripts and tests can check
// the pairing without running anything).
import type { Scenario } from './types.js';
import { SCENARIO_MODULES } from './registry.gen.js';

/**
 * Every src/chaos/scenarios module's `Scenario` (found by scripts/gen-registries.mjs): by name, the scenarios
 * made of others (cascade) after the ones they are made of.
 */
export const SCENARIOS: readonly Scenario[] = [...SCENARIO_MODULES].sort(
  (a, b) => Number(a.stages !== undefined) - Number(b.stages !== undefined) || (a.name < b.name ? -1 : 1),
);

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
