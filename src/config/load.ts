/**
 * Resolve the configuration: defaults < config file (YAML) < `KERNO_*` env < flags (design §6, reference
 * §5.6). Every value remembers where it came from, so a validation error names the env var, the flag or the
 * file to fix. Loading is synchronous: it runs once, before anything else starts.
 */
import { readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { createRequire } from 'node:module';
import type { z } from 'zod';
import { envAssignments, coerce } from './env.js';
import { ConfigError } from './errors.js';
import {
  formatKey,
  isPlainObject,
  showValue,
  treeAssignments,
  type Assignment,
  type Origin,
} from './keys.js';
import { CONFIG_KEYS, ConfigSchema, type Config, type KeyNode } from './schema.js';

type DeepPartial<T> = T extends readonly unknown[]
  ? T
  : T extends object
    ? { [K in keyof T]?: DeepPartial<T[K]> }
    : T;

/**
 * Values from command-line flags, shaped like the config file (`{ doctor: { duration: '10s' } }`). Strings
 * are coerced like env values, so commander's raw option text can be passed straight through; undefined
 * means "flag not given".
 */
export type ConfigFlags = DeepPartial<z.input<typeof ConfigSchema>>;

export interface LoadOptions {
  flags?: ConfigFlags;
  /** Flag spelling per key, e.g. { 'doctor.duration': '--duration' }, so errors name the flag typed. */
  flagNames?: Readonly<Record<string, string>>;
  env?: Readonly<Record<string, string | undefined>>;
  /** For `./config.yaml` and relative explicit paths; default process.cwd(). */
  cwd?: string;
  /** For `~/.kerno/config.yaml`; default os.homedir(). */
  home?: string;
  /** The `--config` flag value. */
  explicitPath?: string;
  /** System config directory; default /etc/kerno. Tests point it elsewhere. */
  etcDir?: string;
}

export interface LoadResult {
  config: Config;
  /** Non-fatal problems (unknown keys) for the caller to log. */
  warnings: string[];
  /** Absolute path of the config file read, or null when none was found. */
  source: string | null;
}

interface FoundFile {
  path: string;
  /** Set when the user named the file, so messages can say where the name came from. */
  namedBy?: '--config' | 'KERNO_CONFIG';
}

/** `--config`, then `KERNO_CONFIG`, then the first existing of /etc/kerno, ~/.kerno, the current directory. */
function findConfigFile(opts: {
  explicitPath?: string;
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
  home: string;
  etcDir: string;
}): FoundFile | null {
  if (opts.explicitPath) return { path: resolve(opts.cwd, opts.explicitPath), namedBy: '--config' };
  const fromEnv = opts.env.KERNO_CONFIG?.trim();
  if (fromEnv) return { path: resolve(opts.cwd, fromEnv), namedBy: 'KERNO_CONFIG' };
  const candidates = [
    join(opts.etcDir, 'config.yaml'),
    join(opts.home, '.kerno', 'config.yaml'),
    join(opts.cwd, 'config.yaml'),
  ];
  // A file that exists but cannot be read is still "found": silently skipping it would hide the user's
  // settings, so reading it reports the error instead.
  return candidates.filter(exists).map((path) => ({ path }))[0] ?? null;
}

function exists(path: string): boolean {
  try {
    return statSync(path, { throwIfNoEntry: false }) !== undefined;
  } catch (err) {
    // ~/.kerno being a regular file just means there is no config there; a directory we may not even look
    // into (sudo -u nobody with HOME=/root) holds no config for us either.
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOTDIR' || code === 'EACCES') return false;
    throw new ConfigError(`config file ${path}: cannot read: ${describeFsError(err)}`);
  }
}

function fileLabel(file: FoundFile): string {
  return file.namedBy === 'KERNO_CONFIG'
    ? `config file ${file.path} (from KERNO_CONFIG)`
    : `config file ${file.path}`;
}

/** "ENOENT (no such file or directory)" from a Node fs error. */
function describeFsError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const code = (err as NodeJS.ErrnoException).code;
  const text = /^[A-Z]+: ([^,]+)/.exec(err.message)?.[1];
  return code ? (text ? `${code} (${text})` : code) : err.message;
}

/** Read and parse a config file into a plain object (an empty file is an empty config). */
function readConfigFile(file: FoundFile): Record<string, unknown> {
  const label = fileLabel(file);
  let text: string;
  try {
    text = readFileSync(file.path, 'utf8');
  } catch (err) {
    throw new ConfigError(`${label}: cannot read: ${describeFsError(err)}`);
  }
  // Loaded only when a config file exists (most runs have none): yaml costs ~40 ms to import.
  const YAML = createRequire(import.meta.url)('yaml') as typeof import('yaml');
  const doc = YAML.parseDocument(text);
  const first = doc.errors[0];
  if (first) {
    const line = first.linePos?.[0].line;
    // The yaml package appends " at line N, column M:" and a source excerpt over several lines; keep the
    // description only, so the message stays on one line.
    const what =
      first.message
        .split(/ at line \d+/)[0]
        ?.split('\n')[0]
        ?.trim() ?? first.code;
    const reason = what.charAt(0).toLowerCase() + what.slice(1);
    throw new ConfigError(`${label}: invalid YAML${line ? ` at line ${line}` : ''}: ${reason}`);
  }
  const data: unknown = doc.toJS();
  if (data === null || data === undefined) return {};
  if (!isPlainObject(data)) {
    throw new ConfigError(`${label}: expected a mapping of keys at the top level, got ${showValue(data)}`);
  }
  return data;
}

/** Flag values, with strings coerced by the key's type. */
function flagAssignments(
  flags: ConfigFlags,
  flagNames: Readonly<Record<string, string>>,
  warnings: string[],
): Assignment[] {
  const raw = treeAssignments(
    flags as Record<string, unknown>,
    CONFIG_KEYS,
    (path) => ({ kind: 'flag', name: flagNames[formatKey(path)] }),
    warnings,
  );
  return raw.map((a) => {
    const node = nodeAt(CONFIG_KEYS, a.path);
    return typeof a.value === 'string' && node && node.kind !== 'section'
      ? { ...a, value: coerce(node.kind, a.value) }
      : a;
  });
}

function nodeAt(keys: KeyNode, path: readonly string[]): KeyNode | undefined {
  let node: KeyNode | undefined = keys;
  for (const seg of path) node = node?.kind === 'section' ? node.children.get(seg) : undefined;
  return node;
}

const pathId = (path: readonly PropertyKey[]): string => path.map(String).join('\u0000');

/** Lay assignments over each other in order (later wins), remembering each key's origin. */
function merge(layers: Assignment[]): { input: Record<string, unknown>; origins: Map<string, Origin> } {
  const input: Record<string, unknown> = {};
  const origins = new Map<string, Origin>();
  for (const { path, value, origin } of layers) {
    let node = input;
    for (const seg of path.slice(0, -1)) {
      const next = node[seg];
      if (isPlainObject(next)) {
        node = next;
      } else {
        const created: Record<string, unknown> = {};
        node[seg] = created;
        node = created;
      }
    }
    node[path[path.length - 1] as string] = value;
    origins.set(pathId(path), origin);
  }
  return { input, origins };
}

function originOf(origins: Map<string, Origin>, path: readonly PropertyKey[]): Origin | undefined {
  for (let n = path.length; n > 0; n--) {
    const origin = origins.get(pathId(path.slice(0, n)));
    if (origin) return origin;
  }
  return undefined;
}

function describeIssue(issue: z.core.$ZodIssue, origin: Origin | undefined): string {
  const key = formatKey(issue.path);
  const got = 'input' in issue && issue.input !== undefined ? `, got ${showValue(issue.input)}` : '';
  const what = `${issue.message}${got}`;
  switch (origin?.kind) {
    case 'env':
      return `${origin.name}: ${what}`;
    case 'flag':
      return origin.name ? `${origin.name}: ${what}` : `${key}: ${what} (from command-line flags)`;
    case 'file':
      return `${key}: ${what} (in ${origin.file})`;
    default:
      return `${key}: ${what}`;
  }
}

/**
 * Load, merge and validate the configuration. Throws ConfigError (one line per problem, joined) when a named
 * file cannot be read, a file is not valid YAML, or any value is invalid. Unknown keys are warnings.
 */
export function loadConfig(opts: LoadOptions = {}): LoadResult {
  const env = opts.env ?? process.env;
  const cwd = opts.cwd ?? process.cwd();
  const warnings: string[] = [];

  const file = findConfigFile({
    explicitPath: opts.explicitPath,
    env,
    cwd,
    home: opts.home ?? homedir(),
    etcDir: opts.etcDir ?? '/etc/kerno',
  });
  const fileLayer = file
    ? treeAssignments(readConfigFile(file), CONFIG_KEYS, () => ({ kind: 'file', file: file.path }), warnings)
    : [];
  const envLayer = envAssignments(env, CONFIG_KEYS, warnings);
  const flagLayer = flagAssignments(opts.flags ?? {}, opts.flagNames ?? {}, warnings);

  const { input, origins } = merge([...fileLayer, ...envLayer, ...flagLayer]);
  const parsed = ConfigSchema.safeParse(input, { reportInput: true });
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => describeIssue(issue, originOf(origins, issue.path))),
    );
  }
  return { config: withoutUndefined(parsed.data), warnings, source: file?.path ?? null };
}

/** `panic_dir: ""` parses to undefined; drop such keys so "unset" looks the same however it was written. */
function withoutUndefined<T>(value: T): T {
  if (!isPlainObject(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = withoutUndefined(v);
  return out as T;
}
