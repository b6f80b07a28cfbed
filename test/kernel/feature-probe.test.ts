// The feature probe decides by loading AND attaching: on this machine kind tp_btf and raw_tp work,
// classic tracepoints only with tracefs mounted, fentry and kprobe not at all (design §2).
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { requireKernel } from '../helpers/kernel.js';
import { probeFeatures, tracefsPath } from '../../src/bpf/probe.js';

before(() => requireKernel());

test('tp_btf and raw_tp attach; tracepoint matches tracefs; every unsupported type says why', async () => {
  const r = await probeFeatures();
  const by = new Map(r.features.map((f) => [f.attachType, f]));
  assert.equal(r.btf, true);
  assert.equal(by.get('tp_btf')?.supported, true);
  assert.equal(by.get('raw_tp')?.supported, true);
  assert.equal(by.get('tracepoint')?.supported, tracefsPath() !== null, 'classic tracepoints need tracefs');
  assert.equal(r.tracefsMounted, tracefsPath() !== null);
  assert.ok(by.has('fentry'));
  assert.ok(by.has('kprobe'));
  for (const f of r.features) if (!f.supported) assert.match(f.error ?? '', /\w+/);
});
