// Golden-file comparison for renderer output. Regenerate after an intended output change with
//   UPDATE_GOLDEN=1 node --import tsx --test test/unit/render/*.test.ts
// and review the diff of test/fixtures/render/ before committing it.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

const DIR = new URL('../../fixtures/render/', import.meta.url);

export function assertGolden(name: string, actual: string): void {
  const file = new URL(name, DIR);
  if (process.env.UPDATE_GOLDEN === '1') {
    writeFileSync(file, actual);
    return;
  }
  assert.ok(
    existsSync(file),
    `golden file test/fixtures/render/${name} is missing: run with UPDATE_GOLDEN=1`,
  );
  assert.equal(
    actual,
    readFileSync(file, 'utf8'),
    `output differs from test/fixtures/render/${name}; if the change is intended, regenerate with UPDATE_GOLDEN=1`,
  );
}
