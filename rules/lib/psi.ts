import type { PsiWindow } from '../../src/signals/types.js';
import { formatNs, formatPct } from '../../src/doctor/format.js';

/** "some 41% (12.3s), full 23% (6.9s) of the window; kernel avg10 some 38.2%, full 20.1%" */
export function psiLine(what: string, w: PsiWindow): string {
  return (
    `${what}: some ${formatPct(w.somePct)} (${formatNs(w.someStallNs)}), full ${formatPct(w.fullPct)} ` +
    `(${formatNs(w.fullStallNs)}) of the window; kernel avg10 some ${formatPct(w.someAvg10)}, full ${formatPct(w.fullAvg10)}`
  );
}

/** Host memory PSI: the pressure collector's, else the memory collector's copy. */
export function hostMemoryPsi(s: {
  pressure?: { memory?: PsiWindow };
  memory?: { psi?: PsiWindow };
}): PsiWindow | undefined {
  return s.pressure?.memory ?? s.memory?.psi;
}
