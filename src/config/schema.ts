/**
 * The configuration shape: keys mirror the YAML file (snake_case, reference §5.6), defaults live here and
 * nowhere else. Durations are written as Go-style text ("30s") and come out of parsing as integer
 * nanoseconds, like every other duration inside kerno.
 */
import { isIP } from 'node:net';
// The namespace import (not `import { z }`) lets the bundler (dist/bundle) keep only the parts of zod used
// here: the `z` object would drag in every locale and the JSON-schema tools (~550 KB, ~14 ms per start).
import * as z from 'zod';
import { DEFAULT_THRESHOLDS, type Thresholds } from '../doctor/thresholds.js';
import { COLLECTOR_NAMES, type CollectorName } from '../signals/types.js';
import { DurationParseError, formatDuration, parseDuration } from '../util/duration.js';
import { HTTP_LISTEN, listenAddressProblem, NETCONSOLE_LISTEN } from '../util/listen-address.js';
import { DEFAULT_FAILURE_POLICY, FAILURE_POLICIES, type FailurePolicy } from './failure-policy.js';

// Configuration is parsed once per process: compiling zod's object fast paths (new Function) costs more
// than it saves (loadConfig ~9 → ~5.5 ms, bundled). zod is used for nothing else in kerno.
z.config({ jitless: true });

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export const LOG_FORMATS = ['auto', 'text', 'json'] as const;
export const OUTPUT_FORMATS = ['auto', 'pretty', 'plain', 'json', 'md'] as const;
export const DROP_POLICIES = ['oldest', 'newest'] as const;
export const AI_PROVIDERS = ['anthropic', 'openai', 'ollama'] as const;
export const AI_PRIVACY_MODES = ['full', 'redacted', 'summary'] as const;

export type LogLevel = (typeof LOG_LEVELS)[number];
export type LogFormat = (typeof LOG_FORMATS)[number];
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];
export type DropPolicy = (typeof DROP_POLICIES)[number];
export type AiProvider = (typeof AI_PROVIDERS)[number];
export type AiPrivacy = (typeof AI_PRIVACY_MODES)[number];
export type KubernetesEnabled = 'auto' | boolean;
export type { Thresholds };

/** The resolved configuration. Durations are integer nanoseconds. */
export interface Config {
  log_level: LogLevel;
  log_format: LogFormat;
  no_color: boolean;
  /** Which collectors to build; all on by default. */
  collectors: Record<CollectorName, boolean>;
  doctor: {
    /** Collection window, ns (1s … 5m). */
    duration: number;
    /** Gap between cycles in continuous mode, ns (≥ 1s). */
    interval: number;
    /** `auto` = pretty on a TTY, plain otherwise (see resolveOutput). */
    output: OutputFormat;
    /** Rule thresholds: DEFAULT_THRESHOLDS with the configured values laid over them. */
    thresholds: Thresholds;
  };
  runtime: {
    /** Where one file per collector fault is written; off when unset (never a hard-coded path). */
    panic_dir?: string;
    /** How long a collector's stop() may take, ns. */
    stop_timeout: number;
    /** How long a collector's start() may take, ns. */
    start_timeout: number;
    /**
     * Keep the kernel's BPF run-time statistics on while collecting, for kerno's own cost in its output.
     * While on, every BPF program on the host pays two clock reads per run (bench/README.md all-collectors).
     */
    bpf_stats: boolean;
    failure_policy: {
      default: FailurePolicy;
      /** Per-collector policy; collectors not named here use `default`. */
      overrides: Partial<Record<CollectorName, FailurePolicy>>;
    };
  };
  daemon: {
    /** host:port for /metrics, /healthz, /readyz. */
    listen: string;
    /** Snapshot interval, ns (≥ 1s). */
    interval: number;
    state_dir: string;
    /** File holding the bearer token required on /metrics; open when unset. */
    metrics_token_file?: string;
    /** udp://host:port to receive netconsole kernel logs on; off when unset. */
    netconsole_listen?: string;
    /** netconsole sender IP address → node name. */
    netconsole_nodes: Record<string, string>;
    /** Link each incident to its Kubernetes Node and the pods on it (reads: nodes, pods). */
    netconsole_k8s: boolean;
    /** With netconsole_k8s: annotate the pods and the Node, create Events (writes). */
    netconsole_k8s_writes: boolean;
    /** kubeconfig for netconsole_k8s; in-cluster service account when unset. */
    netconsole_k8s_kubeconfig?: string;
    /** One Kubernetes API request's deadline, ns. */
    netconsole_k8s_timeout: number;
    /** Senders tracked at once; the least recently heard is evicted (its open incident recorded). */
    netconsole_max_senders: number;
    /** Lines one incident keeps; the incident ends (line-limit) at this many. */
    netconsole_max_incident_lines: number;
    /** Bytes one incident keeps; the incident ends (byte-limit) at this many. */
    netconsole_max_incident_bytes: number;
    /** Bytes buffered across all senders; beyond it the least recently heard sender is evicted. */
    netconsole_max_buffered_bytes: number;
    webhook_url?: string;
  };
  /** Event streams (OOM kills, kernel-log reports, netconsole incidents): one bounded queue each. */
  events: {
    /** Events a stream holds (1 … 65536). */
    queue_size: number;
    /** What a full queue gives up: the oldest queued event, or the newest (incoming) one. */
    drop_policy: DropPolicy;
    /** Low-severity events (kernel WARNINGs) kept per second per stream; 0 = no sampling. */
    sample_rate_per_sec: number;
  };
  /** Root of the cgroup filesystem the cgroup collectors read; auto-detected when unset. */
  cgroup_root?: string;
  /** Pod and container names for cgroups, from the kubelet's /pods on this node. */
  kubernetes: {
    /** auto: on when kerno runs in a Kubernetes pod. */
    enabled: KubernetesEnabled;
    /** https://<node>:10250 when unset (the node from `node_name`). */
    kubelet_url?: string;
    /** This node's name; from $NODE_NAME, $KUBERNETES_NODE_NAME or $KERNO_NODE_NAME (downward API) when unset. */
    node_name?: string;
    token_file: string;
    /** CA bundle trusted for the kubelet's serving certificate. */
    ca_file: string;
    insecure_skip_tls_verify: boolean;
    /** Pod list age before a refresh, ns. */
    ttl: number;
    /** How long one kubelet request may take, ns. */
    timeout: number;
    /** Pods kept from one list. */
    max_pods: number;
  };
  /** Optional AI summaries (`kerno explain <message>`, `kerno doctor --ai`); nothing is sent when off. */
  ai: AiConfig;
}

export interface AiConfig {
  enabled: boolean;
  provider: AiProvider;
  /** Base URL; undefined = the provider's public default (ollama: http://127.0.0.1:11434). */
  endpoint?: string;
  model: string;
  /** The NAME of the environment variable holding the API key (the key itself never sits in a file). */
  api_key_env: string;
  privacy: AiPrivacy;
  /** One request, ns. */
  timeout: number;
  max_tokens: number;
  /** Requests sent per rolling minute (cache hits are free); 0 = no limit. */
  rate_limit_per_minute: number;
  /** How long an answer is reused for the same request, ns; 0 = no cache. */
  cache_ttl: number;
  /** Cache and rate-limit state; undefined = $XDG_CACHE_HOME/kerno/ai (~/.cache/kerno/ai). */
  cache_dir?: string;
}

/** Threshold keys whose negative value means "rule disabled" (reference §4.2: oom_memory_pct < 0). */
const NEGATIVE_THRESHOLD_ALLOWED: ReadonlySet<string> = new Set(['oom_memory_pct']);

// ---------------------------------------------------------------------------------------------------------
// Leaf tagging: the loader needs to know, for every key, how to turn an env/flag string into a value. Each
// leaf schema is registered here when built, so the list of keys can never drift from the schema.

/** How a string from an env var or a flag is coerced for this key. */
export type LeafKind = 'boolean' | 'number' | 'string' | 'map';
const leafKinds = new WeakMap<z.ZodType, LeafKind>();

function leaf<T extends z.ZodType>(kind: LeafKind, schema: T): T {
  leafKinds.set(schema, kind);
  return schema;
}

function bool(def: boolean) {
  return leaf('boolean', z.boolean({ error: 'expected true or false' }).default(def));
}

function oneOf<const T extends readonly [string, ...string[]]>(values: T) {
  return z.enum(values, { error: `must be one of ${values.join(', ')}` });
}

interface DurationRange {
  min: number;
  max?: number;
}

function rangeMessage({ min, max }: DurationRange): string {
  if (max !== undefined) return `must be between ${formatDuration(min)} and ${formatDuration(max)}`;
  return min <= 1 ? 'must be greater than 0' : `must be at least ${formatDuration(min)}`;
}

function duration(def: string, range: DurationRange) {
  const schema = z
    .string({ error: 'expected a duration such as "30s"' })
    .transform((text, ctx) => {
      let ns: number;
      try {
        ns = parseDuration(text);
      } catch (err) {
        if (!(err instanceof DurationParseError)) throw err;
        ctx.issues.push({ code: 'custom', message: err.reason, input: text });
        return z.NEVER;
      }
      if (ns < range.min || (range.max !== undefined && ns > range.max)) {
        ctx.issues.push({ code: 'custom', message: rangeMessage(range), input: text });
        return z.NEVER;
      }
      return ns;
    })
    .prefault(def);
  return leaf('string', schema);
}

/** A required string with a default; `check` returns a problem description or null. */
function text(def: string, check: (s: string) => string | null) {
  const schema = z
    .string({ error: 'expected a string' })
    .superRefine((s, ctx) => {
      const problem = check(s);
      if (problem) ctx.addIssue({ code: 'custom', message: problem, input: s });
    })
    .default(def);
  return leaf('string', schema);
}

/** An optional string; "" means unset, so `KERNO_WEBHOOK_URL=` or `panic_dir: ""` turns a feature off. */
function optionalText(check: (s: string) => string | null = () => null) {
  const schema = z
    .string({ error: 'expected a string' })
    .optional()
    .transform((s, ctx) => {
      if (s === undefined || s === '') return undefined;
      const problem = check(s);
      if (problem) {
        ctx.issues.push({ code: 'custom', message: problem, input: s });
        return z.NEVER;
      }
      return s;
    });
  return leaf('string', schema);
}

function threshold(key: string, def: number) {
  const schema = z
    .number({
      error: (iss) => (typeof iss.input === 'number' ? 'must be a finite number' : 'expected a number'),
    })
    .refine((v) => v >= 0 || NEGATIVE_THRESHOLD_ALLOWED.has(key), 'must not be negative')
    .default(def);
  return leaf('number', schema);
}

function integer(def: number, min: number, max: number) {
  const schema = z
    .number({ error: 'expected a number' })
    .refine(
      (v) => Number.isInteger(v) && v >= min && v <= max,
      `must be an integer between ${min} and ${max}`,
    )
    .default(def);
  return leaf('number', schema);
}

function section<T extends z.core.$ZodLooseShape>(shape: T) {
  // Prefault (not default) so a missing section still gets its keys' defaults filled in by parsing.
  return z.object(shape, { error: 'expected a mapping' }).prefault({} as never);
}

// ---------------------------------------------------------------------------------------------------------
// Value checks shared by several keys.

const hostPortProblem = (s: string): string | null => listenAddressProblem(s, HTTP_LISTEN);
const udpListenProblem = (s: string): string | null => listenAddressProblem(s, NETCONSOLE_LISTEN);

function httpUrlProblem(s: string): string | null {
  if (!URL.canParse(s)) return 'expected an http(s) URL';
  const { protocol } = new URL(s);
  return protocol === 'http:' || protocol === 'https:' ? null : 'expected an http(s) URL';
}

const nonEmpty = (s: string): string | null => (s === '' ? 'must not be empty' : null);

function httpsUrlProblem(s: string): string | null {
  if (!URL.canParse(s)) return 'expected an https URL such as https://node-1:10250';
  return new URL(s).protocol === 'https:' ? null : 'expected an https URL (the kubelet serves TLS only)';
}

/** auto | true | false; YAML gives booleans, env vars and flags give the words. */
function autoBool() {
  const schema = z
    .union([z.boolean(), z.enum(['auto', 'true', 'false'])], { error: 'must be one of auto, true, false' })
    .transform((v): KubernetesEnabled => (v === 'auto' ? 'auto' : v === true || v === 'true'))
    .default('auto');
  return leaf('string', schema);
}

// ---------------------------------------------------------------------------------------------------------

const SECOND = 1_000_000_000;

// Shapes built from name lists are typed by hand: Object.fromEntries loses the key names.
const collectorsShape = Object.fromEntries(COLLECTOR_NAMES.map((name) => [name, bool(true)])) as Record<
  CollectorName,
  ReturnType<typeof bool>
>;

const thresholdsShape = Object.fromEntries(
  Object.entries(DEFAULT_THRESHOLDS as Record<string, number>).map(([key, def]) => [
    key,
    threshold(key, def),
  ]),
) as Record<keyof Thresholds, ReturnType<typeof threshold>>;

const overridesShape = Object.fromEntries(
  COLLECTOR_NAMES.map((name) => [name, leaf('string', oneOf(FAILURE_POLICIES).optional())]),
) as Record<CollectorName, z.ZodOptional<z.ZodEnum<{ [K in FailurePolicy]: K }>>>;

const netconsoleNodes = z
  .record(z.string(), z.string({ error: 'expected a node name' }).min(1, 'node name must not be empty'), {
    error: 'expected a mapping of IP address to node name',
  })
  .superRefine((nodes, ctx) => {
    for (const address of Object.keys(nodes)) {
      if (isIP(address) === 0) {
        ctx.addIssue({
          code: 'custom',
          message: 'keys must be IP addresses',
          path: [address],
          input: address,
        });
      }
    }
  })
  .default({});

export const ConfigSchema = section({
  log_level: leaf('string', oneOf(LOG_LEVELS).default('info')),
  // "" is accepted for compatibility with the original's files and means auto.
  log_format: leaf(
    'string',
    z
      .enum([...LOG_FORMATS, ''], { error: `must be one of ${LOG_FORMATS.join(', ')}` })
      .transform((f): LogFormat => (f === '' ? 'auto' : f))
      .default('auto'),
  ),
  no_color: bool(false),
  collectors: section(collectorsShape),
  doctor: section({
    duration: duration('30s', { min: SECOND, max: 300 * SECOND }),
    interval: duration('60s', { min: SECOND }),
    output: leaf('string', oneOf(OUTPUT_FORMATS).default('auto')),
    thresholds: section(thresholdsShape),
  }),
  runtime: section({
    panic_dir: optionalText(),
    stop_timeout: duration('2s', { min: 1 }),
    start_timeout: duration('10s', { min: 1 }),
    bpf_stats: bool(true),
    failure_policy: section({
      default: leaf('string', oneOf(FAILURE_POLICIES).default(DEFAULT_FAILURE_POLICY)),
      overrides: section(overridesShape),
    }),
  }),
  daemon: section({
    listen: text('127.0.0.1:9733', hostPortProblem),
    interval: duration('60s', { min: SECOND }),
    state_dir: text('/var/lib/kerno', nonEmpty),
    metrics_token_file: optionalText(),
    netconsole_listen: optionalText(udpListenProblem),
    netconsole_nodes: leaf('map', netconsoleNodes),
    netconsole_k8s: bool(false),
    netconsole_k8s_writes: bool(false),
    netconsole_k8s_kubeconfig: optionalText(),
    // 5s: an API server answers a node or pod list in well under a second; a panic must not wait longer.
    netconsole_k8s_timeout: duration('5s', { min: 1_000_000, max: 60 * SECOND }),
    // What bounds the receiver's memory under a flood, whatever the flood (bench/netconsole-flood): the
    // defaults hold a whole panic with its stack traces from each of 1024 nodes, 64 MiB in all.
    netconsole_max_senders: integer(1_024, 1, 65_536),
    netconsole_max_incident_lines: integer(400, 10, 100_000),
    netconsole_max_incident_bytes: integer(64 * 1024, 1024, 16 * 1024 * 1024),
    netconsole_max_buffered_bytes: integer(64 * 1024 * 1024, 64 * 1024, 4 * 1024 * 1024 * 1024),
    webhook_url: optionalText(httpUrlProblem),
  }),
  events: section({
    // 1024: the bound the netconsole receiver always had on incidents waiting for a full disk (the one
    // queue holding data not yet persisted: smaller would lose incidents it used to keep). For OOM victims
    // (~200 bytes each) and kernel reports (at most 8 KiB of context each) it only bounds memory.
    queue_size: integer(1_024, 1, 65_536),
    // oldest: a live daemon wants the freshest view (the latest kills, the incident happening now); the
    // counts (oom.count, oopsDelta, kerno_oom_kills_total) stay exact whatever is dropped, and a storm of
    // low-severity reports is better thinned by sampling than by freezing the queue at its first events.
    drop_policy: leaf('string', oneOf(DROP_POLICIES).default('oldest')),
    sample_rate_per_sec: integer(0, 0, 1_000_000),
  }),
  cgroup_root: optionalText(),
  kubernetes: section({
    enabled: autoBool(),
    kubelet_url: optionalText(httpsUrlProblem),
    node_name: optionalText(),
    token_file: text('/var/run/secrets/kubernetes.io/serviceaccount/token', nonEmpty),
    ca_file: text('/var/run/secrets/kubernetes.io/serviceaccount/ca.crt', nonEmpty),
    insecure_skip_tls_verify: bool(false),
    // 30s: a new pod is named within half a minute; one small request per node per TTL costs nothing.
    ttl: duration('30s', { min: SECOND }),
    // 2s: a healthy kubelet answers /pods in milliseconds; a slower one must not delay a report.
    timeout: duration('2s', { min: 1_000_000, max: 30 * SECOND }),
    max_pods: integer(4_096, 1, 1_000_000),
  }),
  ai: section({
    enabled: bool(false),
    provider: leaf('string', oneOf(AI_PROVIDERS).default('anthropic')),
    endpoint: optionalText(httpUrlProblem),
    model: text('', () => null),
    api_key_env: text('KERNO_AI_API_KEY', (s) =>
      /^[A-Za-z_][A-Za-z0-9_]*$/.test(s)
        ? null
        : 'expected an environment variable name such as KERNO_AI_API_KEY',
    ),
    // summary (the original's default): rule ids, severities and values only, nothing host-specific.
    privacy: leaf('string', oneOf(AI_PRIVACY_MODES).default('summary')),
    // 30s: a hosted model answers a ~1k-token summary in a few seconds; a local CPU-only ollama is slower.
    timeout: duration('30s', { min: 1_000_000, max: 300 * SECOND }),
    max_tokens: integer(1_024, 16, 65_536),
    rate_limit_per_minute: integer(10, 0, 10_000),
    cache_ttl: duration('5m', { min: 0 }),
    cache_dir: optionalText(),
  }).superRefine((ai, ctx) => {
    // Only an enabled section must be complete: a disabled one may be half-written and sends nothing.
    if (ai.enabled && ai.model === '')
      ctx.addIssue({
        code: 'custom',
        path: ['model'],
        message: 'required when ai.enabled is true',
        input: '',
      });
  }),
});

// The schema's output must be usable as Config; this line fails to compile if the two drift apart.
const _outputIsConfig: z.output<typeof ConfigSchema> extends Config ? true : false = true;
void _outputIsConfig;

// ---------------------------------------------------------------------------------------------------------
// The key tree, derived from the schema, for env-var mapping and unknown-key warnings.

export type KeyNode = { kind: 'section'; children: ReadonlyMap<string, KeyNode> } | { kind: LeafKind };

function unwrap(schema: z.ZodType): z.ZodType {
  let s = schema;
  for (;;) {
    const def = s.def as { type: string; innerType?: z.ZodType };
    if ((def.type === 'prefault' || def.type === 'default' || def.type === 'optional') && def.innerType) {
      s = def.innerType;
    } else {
      return s;
    }
  }
}

function keyNode(schema: z.ZodType, where: string): KeyNode {
  const kind = leafKinds.get(schema);
  if (kind) return { kind };
  const inner = unwrap(schema);
  if (!(inner instanceof z.ZodObject))
    throw new Error(`config schema: ${where || '(root)'} is not a tagged leaf`);
  const children = new Map<string, KeyNode>();
  for (const [key, child] of Object.entries(inner.shape as Record<string, z.ZodType>)) {
    children.set(key, keyNode(child, where ? `${where}.${key}` : key));
  }
  return { kind: 'section', children };
}

/** Every config key as a tree: sections and typed leaves. */
export const CONFIG_KEYS: KeyNode = keyNode(ConfigSchema, '');

/** The defaults, fully resolved (durations in ns). */
export function defaultConfig(): Config {
  return ConfigSchema.parse(undefined);
}
