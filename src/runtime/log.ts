// A tiny structured logger. JSON format writes exactly one object per line (time, level, msg, ...fields) so
// log shippers and `jq` can parse it; text format is for a human at a TTY. Values that could break the
// one-line rule (stacks, multi-line messages) are escaped, never written raw.

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export type LogFormat = 'json' | 'text';
export type LogFields = Record<string, unknown>;

export interface Logger {
  readonly level: LogLevel;
  log(level: LogLevel, msg: string, fields?: LogFields): void;
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  /** A logger that adds `fields` to every line (e.g. `{collector: 'tcp'}`). */
  child(fields: LogFields): Logger;
}

export interface LoggerOptions {
  /** Lines below this level are dropped. Default `info`. */
  level?: LogLevel;
  /** Default `json`. */
  format?: LogFormat;
  /** Receives one complete line including its trailing newline. Default: process.stderr. */
  write?: (line: string) => void;
  /** Clock for the `time` field (tests pin it). */
  now?: () => Date;
  /** Fields added to every line. */
  fields?: LogFields;
}

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };
const RESERVED = new Set(['time', 'level', 'msg']);

export function isLogLevel(value: unknown): value is LogLevel {
  return typeof value === 'string' && (LOG_LEVELS as readonly string[]).includes(value);
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const level = options.level ?? 'info';
  if (!isLogLevel(level))
    throw new Error(`invalid log level: ${String(level)} (want ${LOG_LEVELS.join('|')})`);
  const format = options.format ?? 'json';
  if (format !== 'json' && format !== 'text')
    throw new Error(`invalid log format: ${String(format)} (want json|text)`);
  const write = options.write ?? ((line: string) => void process.stderr.write(line));
  const now = options.now ?? (() => new Date());
  return build({ level, format, write, now }, options.fields ?? {});
}

/** A logger that discards everything (for callers that have nowhere to log). */
export const silentLogger: Logger = createLogger({ write: () => {} });

interface Sink {
  level: LogLevel;
  format: LogFormat;
  write: (line: string) => void;
  now: () => Date;
}

function build(sink: Sink, bound: LogFields): Logger {
  const log = (level: LogLevel, msg: string, fields?: LogFields): void => {
    if (RANK[level] < RANK[sink.level]) return;
    const record: Record<string, unknown> = { time: sink.now().toISOString(), level, msg };
    for (const [key, value] of Object.entries({ ...bound, ...fields })) {
      // A field must never overwrite the envelope; keep it under a distinct name instead of losing it.
      record[RESERVED.has(key) ? `${key}_` : key] = toPlain(value);
    }
    let line: string;
    try {
      line = sink.format === 'json' ? JSON.stringify(record) : formatText(record);
    } catch (err) {
      line = JSON.stringify({ time: record.time, level, msg, logError: String(err) });
    }
    sink.write(`${line}\n`);
  };
  return loggerFrom(
    () => sink.level,
    log,
    (fields) => build(sink, { ...bound, ...fields }),
  );
}

/**
 * A Logger around one `log` function: the per-level methods are shorthands for it. Wrapping loggers use it
 * too; `level` is read on each access, so a logger whose sink is swapped (SIGHUP reload) reports the new one.
 */
export function loggerFrom(level: () => LogLevel, log: Logger['log'], child: Logger['child']): Logger {
  return {
    get level() {
      return level();
    },
    log,
    debug: (msg, fields) => log('debug', msg, fields),
    info: (msg, fields) => log('info', msg, fields),
    warn: (msg, fields) => log('warn', msg, fields),
    error: (msg, fields) => log('error', msg, fields),
    child,
  };
}

/** Errors, bigints and cycles made JSON-safe; Error objects keep name, message, code and stack. */
function toPlain(value: unknown, seen = new WeakSet<object>()): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Error) {
    const out: Record<string, unknown> = { name: value.name, message: value.message };
    const code = (value as { code?: unknown }).code;
    if (code !== undefined) out.code = code;
    if (value.stack) out.stack = value.stack;
    return out;
  }
  if (value === null || typeof value !== 'object') return value;
  if (seen.has(value)) return '[Circular]';
  seen.add(value);
  if (Array.isArray(value)) return value.map((v) => toPlain(v, seen));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = toPlain(v, seen);
  return out;
}

function formatText(record: Record<string, unknown>): string {
  const { time, level, msg, ...rest } = record;
  const parts = [String(time), String(level).toUpperCase().padEnd(5), oneLine(String(msg))];
  for (const [key, value] of Object.entries(rest)) parts.push(`${key}=${textValue(value)}`);
  return parts.join(' ');
}

function textValue(value: unknown): string {
  if (typeof value === 'string') return /^[\w.:/@+-]+$/.test(value) ? value : JSON.stringify(value);
  if (value === undefined) return 'undefined';
  return JSON.stringify(value);
}

function oneLine(text: string): string {
  return text.replace(/\r?\n/g, '\\n');
}
