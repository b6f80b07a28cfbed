// Rule documentation for `kerno explain --rule` (reference §1.8): RULE, SIGNAL, SEVERITY, TRIGGER, WHY, FIX,
// PAIRS WITH (the chaos scenarios, which name their rules: src/chaos/registry.ts). Built from the Rule objects, so the text cannot drift from the code, and the trigger is
// rendered with the thresholds in effect (a user's config shows its own numbers).
import { DEFAULT_THRESHOLDS, type Thresholds } from '../src/doctor/thresholds.js';
import type { AnyRule } from '../src/doctor/types.js';
import { ALL_RULES } from './index.js';

export interface RuleCatalogueEntry {
  id: string;
  signal: string;
  severity: string;
  trigger: string;
  why: string;
  fix: string[];
  description: string;
  /** The threshold keys the rule reads, with the values in effect. */
  thresholds: Record<string, number>;
}

function entry(rule: AnyRule, thresholds: Thresholds): RuleCatalogueEntry {
  const used: Record<string, number> = {};
  for (const key of Object.keys(rule.defaults)) used[key] = thresholds[key as keyof Thresholds];
  return {
    id: rule.id,
    signal: rule.signal,
    severity: rule.doc?.severity ?? '',
    trigger: rule.doc?.trigger(thresholds) ?? rule.description,
    why: rule.doc?.why ?? '',
    fix: [...(rule.doc?.fix ?? [])],
    description: rule.description,
    thresholds: used,
  };
}

/** Every rule, in evaluation order. */
export function ruleCatalogue(thresholds: Partial<Thresholds> = {}): RuleCatalogueEntry[] {
  const t = { ...DEFAULT_THRESHOLDS, ...thresholds };
  return ALL_RULES.map((r) => entry(r, t));
}

/** One rule's documentation, or undefined for an unknown id. */
export function explainRule(
  id: string,
  thresholds: Partial<Thresholds> = {},
): RuleCatalogueEntry | undefined {
  const rule = ALL_RULES.find((r) => r.id === id);
  return rule !== undefined ? entry(rule, { ...DEFAULT_THRESHOLDS, ...thresholds }) : undefined;
}

/**
 * Suggestions for an unknown rule name (reference §1.8): rules whose id contains the input, or whose first
 * underscore-segment is contained in it ("disk" → disk_io_bottleneck, disk_io_write_high).
 */
export function suggestRules(input: string): string[] {
  const q = input.trim().toLowerCase().replace(/-/g, '_');
  if (q === '') return ALL_RULES.map((r) => r.id);
  return ALL_RULES.filter((r) => r.id.includes(q) || q.includes(r.id.split('_')[0]!)).map((r) => r.id);
}
