/**
 * The `KERNO_*` environment layer. Every config key has a variable named from its path
 * (`doctor.thresholds.tcp_retransmit_pct` → `KERNO_DOCTOR_THRESHOLDS_TCP_RETRANSMIT_PCT`); the text is
 * coerced to the key's type here and validated by the schema like any other value. An empty variable counts
 * as unset, as in the original (viper), so `KERNO_LOG_LEVEL=` cannot blank a setting by accident.
 */
import { envName, formatKey, leafPaths, type Assignment } from './keys.js';
import type { KeyNode, LeafKind } from './schema.js';

/** Older or conventional names, each read only when the canonical variable is not set. */
const ALIASES: ReadonlyArray<{ name: string; path: readonly string[]; value?: (raw: string) => unknown }> = [
  { name: 'KERNO_PANIC_LOG_DIR', path: ['runtime', 'panic_dir'] },
  // https://no-color.org: any non-empty value disables colour.
  { name: 'NO_COLOR', path: ['no_color'], value: () => true },
];

/**
 * Coerce env/flag text to a key's type. Text that does not fit is returned unchanged so the schema rejects
 * it with its usual message (`expected true or false, got "maybe"`).
 */
export function coerce(kind: LeafKind, raw: string): unknown {
  const text = raw.trim();
  switch (kind) {
    case 'boolean':
      if (/^(true|yes|on|1)$/i.test(text)) return true;
      if (/^(false|no|off|0)$/i.test(text)) return false;
      return text;
    case 'number':
      return /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(text) ? Number(text) : text;
    case 'map':
      return parsePairs(text) ?? text;
    case 'string':
      return text;
  }
}

/** `10.0.0.5=node-a,10.0.0.6=node-b` → { '10.0.0.5': 'node-a', … }; null when malformed. */
function parsePairs(text: string): Record<string, string> | null {
  const out: Record<string, string> = {};
  for (const part of text.split(',')) {
    const eq = part.indexOf('=');
    if (eq <= 0) return null;
    out[part.slice(0, eq).trim()] = part.slice(eq + 1).trim();
  }
  return out;
}

export function envAssignments(
  env: Readonly<Record<string, string | undefined>>,
  keys: KeyNode,
  warnings: string[],
): Assignment[] {
  const out: Assignment[] = [];
  const known = new Set<string>();
  const set = new Set<string>();

  for (const { path, kind } of leafPaths(keys)) {
    const name = envName(path);
    known.add(name);
    const raw = env[name];
    if (raw === undefined || raw.trim() === '') continue;
    out.push({ path, value: coerce(kind, raw), origin: { kind: 'env', name } });
    set.add(formatKey(path));
  }

  for (const alias of ALIASES) {
    const raw = env[alias.name];
    if (raw === undefined || raw.trim() === '' || set.has(formatKey(alias.path))) continue;
    const value = alias.value ? alias.value(raw) : raw.trim();
    out.push({ path: alias.path, value, origin: { kind: 'env', name: alias.name } });
  }

  // A misspelt variable under a config section would otherwise be silently ignored. Other KERNO_* names
  // (KERNO_CONFIG, KERNO_NODE_NAME …) belong to other parts of kerno and are left alone.
  const sectionPrefixes =
    keys.kind === 'section'
      ? [...keys.children].filter(([, c]) => c.kind === 'section').map(([k]) => `${envName([k])}_`)
      : [];
  // The AI key is a secret read from the variable ai.api_key_env names, never a config value.
  const secrets = new Set(['KERNO_AI_API_KEY', env.KERNO_AI_API_KEY_ENV?.trim() ?? '']);
  for (const name of Object.keys(env).sort()) {
    if (known.has(name) || secrets.has(name) || !sectionPrefixes.some((p) => name.startsWith(p))) continue;
    warnings.push(`unknown config variable ${name} (ignored)`);
  }
  return out;
}
