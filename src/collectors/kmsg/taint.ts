// /proc/sys/kernel/tainted decoded per Documentation/admin-guide/tainted-kernels.rst (bits 0–19 as of
// 6.15). Bits the table does not know yet are reported with letter '?' rather than dropped.

export interface TaintFlag {
  letter: string;
  bit: number;
  description: string;
}

const TABLE: readonly [letter: string, description: string][] = [
  ['P', 'proprietary module was loaded'],
  ['F', 'module was force loaded'],
  ['S', 'kernel running on an out of specification system'],
  ['R', 'module was force unloaded'],
  ['M', 'processor reported a Machine Check Exception (MCE)'],
  ['B', 'bad page referenced or some unexpected page flags'],
  ['U', 'taint requested by userspace application'],
  ['D', 'kernel died recently, i.e. there was an OOPS or BUG'],
  ['A', 'ACPI table overridden by user'],
  ['W', 'kernel issued warning'],
  ['C', 'staging driver was loaded'],
  ['I', 'workaround for bug in platform firmware applied'],
  ['O', 'externally-built ("out-of-tree") module was loaded'],
  ['E', 'unsigned module was loaded'],
  ['L', 'soft lockup occurred'],
  ['K', 'kernel has been live patched'],
  ['X', 'auxiliary taint, defined for and used by distros'],
  ['T', 'kernel was built with the struct randomization plugin'],
  ['N', 'an in-kernel test has been run'],
  ['J', 'userspace used a mutating debug operation in fwctl'],
];

export function decodeTaint(value: number): TaintFlag[] {
  const flags: TaintFlag[] = [];
  if (!Number.isSafeInteger(value) || value <= 0) return flags;
  let v = BigInt(value);
  for (let bit = 0; v > 0n; bit++, v >>= 1n) {
    if ((v & 1n) === 0n) continue;
    const entry = TABLE[bit];
    flags.push(
      entry
        ? { letter: entry[0], bit, description: entry[1] }
        : { letter: '?', bit, description: `taint bit ${bit} (not in kerno's table)` },
    );
  }
  return flags;
}

/** The letters as the kernel prints them after "Tainted:" (without the blanks), e.g. "POE". */
export function taintLetters(flags: readonly TaintFlag[]): string {
  return flags.map((f) => f.letter).join('');
}

/** Parse the file's text; undefined when it is not a non-negative integer. */
export function parseTaint(text: string): number | undefined {
  const t = text.trim();
  if (!/^\d{1,20}$/.test(t)) return undefined;
  const n = Number(t);
  return Number.isSafeInteger(n) ? n : undefined;
}
