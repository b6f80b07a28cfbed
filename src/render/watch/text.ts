// Plain-text layout of a `kerno watch` table (cli-table3, borderless like the listing commands) and of an
// OOM line. Colour only through the palette, so NO_COLOR / --no-color give plain text.
import Table from 'cli-table3';
import { borderlessChars } from '../plain/layout.js';
import { makePalette } from '../plain/palette.js';
import type { Cell, WatchTable } from './model.js';

const NO_BORDER = borderlessChars(2);

export function renderWatchTable(t: WatchTable, color: boolean): string {
  const p = makePalette(color);
  const lines = [p.bold(t.title)];
  if (t.rows.length > 0) {
    const table = new Table({
      head: t.head.map((h) => p.bold(h)),
      chars: NO_BORDER,
      style: { head: [], border: [], 'padding-left': 0, 'padding-right': 0, compact: true },
    });
    for (const row of t.rows) table.push(row.map((c) => p.tone(c.tone, c.text)));
    lines.push(
      ...table
        .toString()
        .split('\n')
        .map((l) => l.trimEnd()),
    );
  }
  if (t.note) lines.push(p.dim(t.note));
  return lines.join('\n') + '\n';
}

export function renderCells(cells: readonly Cell[], color: boolean): string {
  const p = makePalette(color);
  return cells.map((c) => p.tone(c.tone, c.text)).join('  ') + '\n';
}
