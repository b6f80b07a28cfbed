import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SCHEMA_VERSION } from '../../../src/signals.js';

test('harness runs TypeScript tests', () => {
  assert.equal(SCHEMA_VERSION, 1);
});
