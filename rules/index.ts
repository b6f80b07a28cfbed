// The rule registry: every rules/*.ts module's `Rule` (found by scripts/gen-registries.mjs, so a new rule
// adds no line here). Order carries no meaning for ranking (compareFindings breaks ties by rule id, then
// subject); it is by id for listings, with the rules that run only when all others were quiet
// (`onlyIfNoFindings`: healthy_system) last, where the engine runs them.
import type { AnyRule } from '../src/doctor/types.js';
import { RULES } from './registry.gen.js';

export const ALL_RULES: readonly AnyRule[] = Object.freeze(
  [...RULES].sort(
    (a, b) =>
      Number(a.onlyIfNoFindings === true) - Number(b.onlyIfNoFindings === true) ||
      (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
  ),
);

export const RULE_IDS: readonly string[] = ALL_RULES.map((r) => r.id);
