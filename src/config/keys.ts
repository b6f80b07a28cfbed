/**
 * Naming and placing config values: dotted key names for messages, `KERNO_*` env names, and where each
 * value came from (file, env var, flag) so an error can point at the place the user has to edit.
 */
import type { KeyNode } from './schema.js';

export type Origin =
  { kind: 'file'; file: string } | { kind: 'env'; name: string } | { kind: 'flag'; name?: string };

/** One value placed at one key path by one source. */
export interface Assignment {
  path: readonly string[];
  value: unknown;
  origin: Origin;
}

/** `doctor.thresholds.tcp_retransmit_pct`; keys that are not identifiers (IP addresses) are bracketed. */
export function formatKey(path: readonly PropertyKey[]): string {
  let out = '';
  for (const seg of path) {
    const s = String(seg);
    if (/^[A-Za-z0-9_-]+$/.test(s)) out += out === '' ? s : `.${s}`;
    else out += `[${JSON.stringify(s)}]`;
  }
  return out;
}

/** `KERNO_` + the key path in upper snake case (reference §5.6: `.` and `-` become `_`). */
export function envName(path: readonly string[]): string {
  return `KERNO_${path.join('_').replace(/[.-]/g, '_').toUpperCase()}`;
}

/** How a value is shown after ", got": strings quoted, structures by kind (their contents are elsewhere). */
export function showValue(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (Array.isArray(v)) return 'a list';
  if (v === null) return 'null';
  if (typeof v === 'object') return 'a mapping';
  return String(v);
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Turn a nested object (a parsed YAML file, or the CLI's flag values) into assignments, one per leaf key.
 * Keys the schema does not know produce a warning and are dropped; null/undefined mean "not set".
 */
export function treeAssignments(
  tree: Record<string, unknown>,
  keys: KeyNode,
  origin: (path: readonly string[]) => Origin,
  warnings: string[],
): Assignment[] {
  const out: Assignment[] = [];
  const walk = (node: Record<string, unknown>, children: ReadonlyMap<string, KeyNode>, prefix: string[]) => {
    for (const [key, value] of Object.entries(node)) {
      if (value === null || value === undefined) continue;
      const path = [...prefix, key];
      const child = children.get(key);
      if (!child) {
        warnings.push(`unknown config key ${JSON.stringify(formatKey(path))} (ignored)`);
      } else if (child.kind === 'section' && isPlainObject(value)) {
        walk(value, child.children, path);
      } else {
        // A leaf, or a non-mapping where a section belongs: the schema reports the latter.
        out.push({ path, value, origin: origin(path) });
      }
    }
  };
  if (keys.kind === 'section') walk(tree, keys.children, []);
  return out;
}

/** Every leaf key path with its kind, in schema order. */
export function leafPaths(
  keys: KeyNode,
  prefix: string[] = [],
): Array<{ path: string[]; kind: Exclude<KeyNode['kind'], 'section'> }> {
  if (keys.kind !== 'section') return [{ path: prefix, kind: keys.kind }];
  return [...keys.children].flatMap(([k, child]) => leafPaths(child, [...prefix, k]));
}
