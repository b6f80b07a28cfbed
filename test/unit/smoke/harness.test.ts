import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SCHEMA_VERSION } from '../../../src/signals/types.js';

test('harness runs TypeScript tests', () => {
  assert.ok(Number.isInteger(SCHEMA_VERSION) && SCHEMA_VERSION >= 1);
});
