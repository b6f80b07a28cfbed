// Borderless column tables for listing commands (`kerno chaos --list`, `kerno panics`, `kerno explain
// --rule`): one row per line with no box drawing, so the output greps and pastes cleanly. On a terminal the
// last column is wrapped to the window; elsewhere lines are never wrapped (a pipe has no width).
import Table from 'cli-table3';
import { borderlessChars } from '../render/plain/layout.js';
import { makePalette } from '../render/plain/palette.js';

export interface TableOptions {
  color: boolean;
  /** Terminal width; undefined = do not wrap. */
  width?: number;
}

const GAP = 2;
const MIN_LAST = 24;

const NO_BORDER = borderlessChars(GAP);

export function renderTable(head: string[], rows: string[][], opts: TableOptions): string {
  const p = makePalette(opts.color);
  const natural = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  let colWidths: number[] | undefined;
  if (opts.width !== undefined && natural.length > 0) {
    const fixed = natural.slice(0, -1).reduce((sum, w) => sum + w + GAP, 0);
    const last = Math.max(MIN_LAST, Math.min(natural.at(-1)!, opts.width - fixed - 1));
    colWidths = [...natural.slice(0, -1), last];
  }
  const table = new Table({
    head: head.map((h) => p.bold(h)),
    chars: NO_BORDER,
    style: { head: [], border: [], 'padding-left': 0, 'padding-right': 0, compact: true },
    ...(colWidths ? { colWidths, wordWrap: true } : {}),
  });
  for (const row of rows) table.push(row);
  return (
    table
      .toString()
      .split('\n')
      .map((l) => l.trimEnd())
      .join('\n') + '\n'
  );
}

/** The width to lay out for: the terminal's when stdout is one, else none (no wrapping). */
export function outputWidth(stdoutIsTTY: boolean): number | undefined {
  return stdoutIsTTY ? (process.stdout.columns ?? 80) : undefined;
}
