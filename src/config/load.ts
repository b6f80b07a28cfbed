/**
 * Resolve the configuration: defaults < config file (YAML) < `KERNO_*` env < flags (design §6, reference
 * §5.6). Every value remembers where it came from, so a validation error names the env var, the flag or the
 * file to fix. Loading is synchronous: it runs once, before anything else starts.
 */
import { closeSync, constants, fstatSync, openSync, readSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
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
  /** For relative explicit paths; default process.cwd(). Never searched for a config file. */
  cwd?: string;
  /** For `~/.config/kerno/config.yaml` when XDG_CONFIG_HOME is unset; default os.homedir(). */
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

/**
 * `--config`, then `KERNO_CONFIG`, then the first existing of /etc/kerno/config.yaml and
 * $XDG_CONFIG_HOME/kerno/config.yaml. The current directory is never searched: under sudo it is wherever the
 * operator happened to stand, and a stray config.yaml there would silently change a diagnosis.
 */
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
    join(xdgConfigHome(opts.env, opts.home), 'kerno', 'config.yaml'),
  ];
  // A file that exists but cannot be read is still "found": silently skipping it would hide the user's
  // settings, so reading it reports the error instead.
  return candidates.filter(exists).map((path) => ({ path }))[0] ?? null;
}

/** The XDG base-directory rule: XDG_CONFIG_HOME when set to an absolute path, otherwise ~/.config. */
export function xdgConfigHome(env: Readonly<Record<string, string | undefined>>, home: string): string {
  const xdg = env.XDG_CONFIG_HOME?.trim();
  return xdg && isAbsolute(xdg) ? xdg : join(home, '.config');
}

function exists(path: string): boolean {
  try {
    return statSync(path, { throwIfNoEntry: false }) !== undefined;
  } catch (err) {
    // ~/.config being a regular file just means there is no config there; a directory we may not even look
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

/**
 * A config file larger than this is refused before it is read (`--config /dev/zero`, a 50 MB file). Loading
 * is synchronous, so this also bounds how long a SIGTERM waits: the parser takes ~35 µs per line (a 256 KiB
 * file of 20,000 keys parses in ~0.7 s here); real configs are a few KiB.
 */
export const MAX_CONFIG_BYTES = 256 * 1024;

/** YAML aliases expanded at most this many times per document (an alias bomb is refused, not expanded). */
const MAX_ALIAS_COUNT = 100;

function kindOf(st: {
  isDirectory(): boolean;
  isFIFO(): boolean;
  isCharacterDevice(): boolean;
  isBlockDevice(): boolean;
  isSocket(): boolean;
}): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a FIFO';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

/**
 * The file's text, if it is a regular file of at most MAX_CONFIG_BYTES. Loading is synchronous, so nothing
 * here may block: the type is checked before opening (opening a FIFO waits for a writer), the open is
 * non-blocking, and the size is checked again on the open file (it may have been swapped or grown).
 */
function readBoundedText(file: FoundFile, label: string): string {
  const refuse = (why: string): never => {
    throw new ConfigError(`${label}: ${why}`);
  };
  let fd: number;
  try {
    const st = statSync(file.path);
    if (!st.isFile()) refuse(`${kindOf(st)}, not a regular file`);
    fd = openSync(file.path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    return refuse(`cannot read: ${describeFsError(err)}`);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) refuse(`${kindOf(st)}, not a regular file`);
    const tooBig = (): never =>
      refuse(`larger than ${MAX_CONFIG_BYTES / 1024} KiB: a kerno config is a few KiB`);
    if (st.size > MAX_CONFIG_BYTES) tooBig();
    const buf = Buffer.alloc(MAX_CONFIG_BYTES + 1);
    let n = 0;
    for (;;) {
      const r = readSync(fd, buf, n, buf.length - n, null);
      if (r === 0) break;
      n += r;
      if (n > MAX_CONFIG_BYTES) tooBig();
    }
    return buf.toString('utf8', 0, n);
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    return refuse(`cannot read: ${describeFsError(err)}`);
  } finally {
    closeSync(fd);
  }
}

/** Flow collections (`[`, `{`) nested deeper than this are refused before parsing. */
const MAX_FLOW_DEPTH = 64;

/**
 * Deepest `[`/`{` nesting, counted naively (quotes not parsed): the parser recurses per level, and a
 * megabyte of `[` takes it seconds to overflow its stack. A real config nests two or three levels.
 */
function flowDepth(text: string): number {
  let depth = 0;
  let max = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x5b || c === 0x7b) max = Math.max(max, ++depth);
    else if ((c === 0x5d || c === 0x7d) && depth > 0) depth--;
  }
  return max;
}

/** Read and parse a config file into a plain object (an empty file is an empty config). */
function readConfigFile(file: FoundFile): Record<string, unknown> {
  const label = fileLabel(file);
  const text = readBoundedText(file, label);
  if (flowDepth(text) > MAX_FLOW_DEPTH)
    throw new ConfigError(
      `${label}: invalid YAML: [ ] or { } nested more than ${MAX_FLOW_DEPTH} levels deep`,
    );
  // Loaded only when a config file exists (most runs have none): yaml costs ~40 ms to import.
  const YAML = createRequire(import.meta.url)('yaml') as typeof import('yaml');
  // The parser's own duplicate-key check compares every key with every other (20,000 keys: 8 s); keys are
  // checked for uniqueness below in linear time instead.
  const lineCounter = new YAML.LineCounter();
  const doc = YAML.parseDocument(text, { uniqueKeys: false, lineCounter });
  const dup = duplicateKey(YAML, doc);
  if (dup) {
    const line = dup.offset === undefined ? undefined : lineCounter.linePos(dup.offset).line;
    throw new ConfigError(`${label}: invalid YAML${line ? ` at line ${line}` : ''}: map keys must be unique`);
  }
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
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (err) {
    // "Excessive alias count indicates a resource exhaustion attack" and the like.
    const what = (err as Error).message.split('\n')[0] ?? String(err);
    throw new ConfigError(`${label}: invalid YAML: ${what.charAt(0).toLowerCase() + what.slice(1)}`);
  }
  if (data === null || data === undefined) return {};
  if (!isPlainObject(data)) {
    throw new ConfigError(`${label}: expected a mapping of keys at the top level, got ${showValue(data)}`);
  }
  return data;
}

/** The first key that repeats within one mapping, in linear time. */
function duplicateKey(
  YAML: typeof import('yaml'),
  doc: import('yaml').Document.Parsed,
): { key: string; offset?: number } | undefined {
  let found: { key: string; offset?: number } | undefined;
  YAML.visit(doc, {
    Map(_, map) {
      const seen = new Set<string>();
      for (const pair of map.items) {
        const k = pair.key;
        const key = YAML.isScalar(k) ? String(k.value) : String(k);
        if (seen.has(key)) {
          found = { key: key.slice(0, 80), offset: YAML.isNode(k) ? k.range?.[0] : undefined };
          return YAML.visit.BREAK;
        }
        seen.add(key);
      }
      return undefined;
    },
  });
  return found;
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
