// `kerno audit files` output: one fixed-width line per event for people, one JSON object per line for
// programs. Never collects.
import type { AuditEvent } from '../../audit/events.js';
import { clockTime } from '../trace/lines.js';
import { makePalette } from '../plain/palette.js';
import type { Tone } from '../tone.js';

/** Ops that change a file or its name stand out; reads and opens are plain. */
function opTone(e: AuditEvent): Tone {
  if (e.op === 'delete' || e.op === 'rename') return 'critical';
  if (e.op === 'modify' || e.op === 'close_write' || e.op === 'create' || e.op === 'attrib') return 'warning';
  return 'plain';
}

export const AUDIT_HEADER = `${'TIME'.padEnd(12)}  ${'PID'.padStart(7)}  ${'COMM'.padEnd(15)}  ${'OP'.padEnd(11)}  PATH`;

export function auditLine(e: AuditEvent, color: boolean): string {
  const p = makePalette(color);
  const comm = e.comm ?? '?';
  const path = e.op === 'rename' ? `${e.path} → ${e.to ?? '?'}` : e.path;
  return `${clockTime(e.time).padEnd(12)}  ${String(e.pid).padStart(7)}  ${comm.padEnd(15)}  ${p.tone(opTone(e), e.op.padEnd(11))}  ${path}\n`;
}

/** Field order fixed (time, path, op, pid, comm, mask, to) so lines diff and grep well. */
export function auditJsonLine(e: AuditEvent): string {
  return (
    JSON.stringify({
      time: e.time,
      path: e.path,
      op: e.op,
      pid: e.pid,
      comm: e.comm,
      mask: e.mask,
      ...(e.op === 'rename' ? { to: e.to ?? null } : {}),
    }) + '\n'
  );
}

export function auditSummary(events: number, dropped: number, elapsedNs: number): string {
  const secs = (elapsedNs / 1e9).toFixed(1);
  return `kerno: ${events} file event${events === 1 ? '' : 's'} in ${secs}s${dropped ? `, ${dropped} dropped` : ''}\n`;
}
