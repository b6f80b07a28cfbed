import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderTable } from '../../../src/cli/table.js';

/** The start of an ANSI escape sequence (colour). */
const ANSI = new RegExp(`${String.fromCharCode(27)}\\[`);

test('renderTable: aligned columns, no borders, no trailing spaces', () => {
  const out = renderTable(
    ['A', 'LONGER'],
    [
      ['x', 'one'],
      ['yyyy', 'two'],
    ],
    { color: false },
  );
  assert.equal(out, 'A     LONGER\nx     one\nyyyy  two\n');
});

test('renderTable: colour only when asked', () => {
  assert.doesNotMatch(renderTable(['H'], [['v']], { color: false }), ANSI);
  assert.match(renderTable(['H'], [['v']], { color: true }), ANSI);
});

test('renderTable: with a width the last column wraps to fit', () => {
  const text = 'word '.repeat(30).trim();
  const out = renderTable(['NAME', 'TEXT'], [['n', text]], { color: false, width: 40 });
  const lines = out.trimEnd().split('\n');
  assert.ok(lines.length > 2, 'wrapped onto several lines');
  for (const l of lines) assert.ok(l.length <= 40, `fits in 40 columns: "${l}"`);
  assert.equal(lines.slice(1).join(' ').replace(/\s+/g, ' ').trim(), `n ${text}`);
});
