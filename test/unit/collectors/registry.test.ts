import { test } from 'node:test';
import assert from 'node:assert/strict';
import { collectorDefs } from '../../../src/collectors/registry.js';
import { COLLECTOR_NAMES } from '../../../src/signals/types.js';

// A collector named in Signals (COLLECTOR_SIGNALS) but missing from the registry would never run, and its
// coverage entry would say "missing" on every host: adding a signal must add its row here.
test('the registry has one row per collector name, in report order', () => {
  assert.deepEqual(
    collectorDefs().map((d) => d.name),
    [...COLLECTOR_NAMES],
  );
});

test('every metric family a collector declares is declared once, by one collector', () => {
  const owner = new Map<string, string>();
  for (const d of collectorDefs()) {
    for (const f of d.families) {
      assert.equal(owner.get(f.name), undefined, `${f.name} declared by ${owner.get(f.name)} and ${d.name}`);
      owner.set(f.name, d.name);
      assert.ok(f.help.length > 0, `${f.name} has help text`);
    }
  }
  assert.ok(owner.size > 0);
});
