/**
 * Go-style durations ("500ms", "1m30s", "1.5s") as integer nanoseconds — the unit every duration and latency
 * uses inside kerno (design §6). Config files, env vars and flags all accept this syntax, so the reference's
 * config files (written for the Go original) keep working.
 */

const NS_PER_UNIT: ReadonlyMap<string, bigint> = new Map([
  ['ns', 1n],
  ['us', 1_000n],
  ['µs', 1_000n], // U+00B5 MICRO SIGN, what Go prints
  ['μs', 1_000n], // U+03BC GREEK SMALL LETTER MU, what people type
  ['ms', 1_000_000n],
  ['s', 1_000_000_000n],
  ['m', 60_000_000_000n],
  ['h', 3_600_000_000_000n],
]);

const UNIT_LIST = 'ns, us, ms, s, m, h';

/** A duration that does not parse; `reason` is the message without the offending text. */
export class DurationParseError extends Error {
  constructor(
    readonly input: string,
    readonly reason: string,
  ) {
    super(`invalid duration ${JSON.stringify(input)}: ${reason}`);
    this.name = 'DurationParseError';
  }
}

/**
 * Parse a Go-style duration into integer nanoseconds. Components are a decimal number and a unit, in any
 * sequence ("1h2m3.5s"); "0" alone is allowed as in Go. Negative durations and bare numbers are rejected:
 * a bare "10" is far more likely a mistake (seconds? milliseconds?) than a request for 10 ns. Fractions
 * below 1 ns are truncated, as Go does.
 */
export function parseDuration(text: string): number {
  if (text === '') throw new DurationParseError(text, 'must not be empty');
  if (text === '0') return 0;
  if (text.startsWith('-')) throw new DurationParseError(text, 'must not be negative');

  const component = /^(\d*)(?:\.(\d*))?([^\d.]*)/;
  let rest = text.startsWith('+') ? text.slice(1) : text;
  let total = 0n;
  do {
    const m = component.exec(rest);
    const whole = m?.[1] ?? '';
    const frac = m?.[2] ?? '';
    const unit = m?.[3] ?? '';
    if (!m || (whole === '' && frac === '')) {
      throw new DurationParseError(text, `expected a number followed by a unit (${UNIT_LIST})`);
    }
    if (unit === '') throw new DurationParseError(text, `missing unit (${UNIT_LIST})`);
    const scale = NS_PER_UNIT.get(unit);
    if (scale === undefined) throw new DurationParseError(text, `unknown unit "${unit}" (use ${UNIT_LIST})`);

    total += BigInt(whole || '0') * scale;
    if (frac !== '') total += (BigInt(frac) * scale) / 10n ** BigInt(frac.length);
    rest = rest.slice(m[0].length);
  } while (rest !== '');
  if (total > BigInt(Number.MAX_SAFE_INTEGER)) throw new DurationParseError(text, 'too large');
  return Number(total);
}

const NS_PER_US = 1_000;
const NS_PER_MS = 1_000_000;
const NS_PER_S = 1_000_000_000;

/** How formatDuration rounds: exact by default; `significant` rounds to that many significant digits first. */
export interface FormatDurationOptions {
  /**
   * Significant digits to keep (for display: evidence, plans, progress lines). Without it the output is
   * exact and parses back to the same value (for config values shown back to the user).
   */
  readonly significant?: number;
}

/**
 * Format integer nanoseconds compactly in Go syntax: "30s", "1m30s", "250ms", "1.5µs", "2h". Zero
 * components are dropped ("2h", not Go's "2h0m0s"). The one duration formatter in kerno: config echoes,
 * rule evidence, chaos plans and supervisor hints all read the same way.
 */
export function formatDuration(ns: number, opts: FormatDurationOptions = {}): string {
  if (!Number.isFinite(ns)) throw new RangeError(`formatDuration: not a finite number: ${ns}`);
  // Rounding before picking the unit makes 999 999 ns read "1ms", not "1000µs".
  let n = Math.round(opts.significant === undefined ? ns : Number(ns.toPrecision(opts.significant)));
  if (n === 0) return '0s';
  const sign = n < 0 ? '-' : '';
  n = Math.abs(n);

  if (n < NS_PER_US) return `${sign}${n}ns`;
  if (n < NS_PER_MS) return `${sign}${decimal(n, NS_PER_US)}µs`;
  if (n < NS_PER_S) return `${sign}${decimal(n, NS_PER_MS)}ms`;

  const hours = Math.floor(n / 3_600_000_000_000);
  const minutes = Math.floor((n % 3_600_000_000_000) / 60_000_000_000);
  const secNs = n % 60_000_000_000;
  let out = sign;
  if (hours > 0) out += `${hours}h`;
  if (minutes > 0) out += `${minutes}m`;
  if (secNs > 0) out += `${decimal(secNs, NS_PER_S)}s`;
  return out;
}

/** value / unit as an exact decimal with trailing zeros trimmed (integer math: no float noise). */
function decimal(value: number, unit: number): string {
  const whole = Math.floor(value / unit);
  const rem = value % unit;
  if (rem === 0) return String(whole);
  const digits = String(unit).length - 1;
  return `${whole}.${String(rem).padStart(digits, '0').replace(/0+$/, '')}`;
}
