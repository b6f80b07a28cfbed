import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { register as globalRegistry, Registry } from 'prom-client';
import { emptyHistogram, slotOf, type Histogram } from '../../../src/bpf/histogram.js';
import type { CollectorMetrics } from '../../../src/collectors/types.js';
import { Exporter } from '../../../src/daemon/exporter.js';
import { collectorFamilies } from '../../../src/daemon/families.js';
import { createLogger } from '../../../src/runtime/log.js';
import { deferred, FakeCollection, parseExposition, promtoolCheck, samples, status } from './helpers.js';

function hist(valuesNs: number[]): Histogram {
  const h = emptyHistogram();
  for (const v of valuesNs) {
    h.slots[slotOf(v)]! += 1;
    h.count += 1;
    h.sumNs += v;
  }
  return h;
}

function setup(data: Record<string, CollectorMetrics>, maxSeriesPerFamily?: number) {
  const source = new FakeCollection([
    status('syscall', { events: 1234, faults: 2 }),
    status('tcp', { state: 'failed', programsLoaded: 0, programsTotal: 4, hint: 'not root' }),
    status('memory', { programsLoaded: 0, programsTotal: 0 }),
  ]);
  source.metricsData = new Map(Object.entries(data));
  const lines: string[] = [];
  const logger = createLogger({ level: 'debug', write: (l) => lines.push(l) });
  const exporter = new Exporter({
    registry: new Registry(),
    source,
    logger,
    version: '9.9.9',
    build: { revision: 'abc123', node: 'v20.20.2', libbpf: 'v1.1' },
    maxSeriesPerFamily,
    cacheMs: 0,
  });
  const scrape = async () => parseExposition((await exporter.render()).body.toString());
  return { source, exporter, scrape, logs: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

/** Every family of the contract with plausible data. */
function fullData(): Record<string, CollectorMetrics> {
  const cg = (pod: string) => ({ cgroup: `/kubepods/${pod}`, pod, namespace: 'default' });
  return {
    syscall: {
      histograms: {
        syscall_duration_seconds: [
          { labels: { syscall: 'read' }, value: hist([800, 1_500, 20_000]) },
          { labels: { syscall: '[other]' }, value: hist([5e6]) },
        ],
      },
      counters: {
        syscalls_total: [{ labels: { syscall: 'read' }, value: 3 }],
        syscall_errors_total: [{ labels: { syscall: 'read' }, value: 1 }],
      },
    },
    tcp: {
      histograms: { tcp_srtt_seconds: [{ labels: {}, value: hist([250_000]) }] },
      counters: {
        tcp_retransmitted_segments_total: [{ labels: {}, value: 7 }],
        tcp_resets_sent_total: [{ labels: {}, value: 1 }],
        tcp_resets_received_total: [{ labels: {}, value: 2 }],
        tcp_state_changes_total: [{ labels: {}, value: 30 }],
      },
    },
    fd: {
      counters: { fd_opens_total: [{ labels: {}, value: 10 }], fd_closes_total: [{ labels: {}, value: 9 }] },
    },
    sched: { histograms: { runqueue_delay_seconds: [{ labels: {}, value: hist([3_000, 9_000_000]) }] } },
    disk: {
      histograms: {
        disk_io_duration_seconds: [{ labels: { device: 'vda', op: 'write' }, value: hist([400_000]) }],
      },
      counters: { disk_io_bytes_total: [{ labels: { device: 'vda', op: 'write' }, value: 4096 }] },
    },
    oom: { counters: { oom_kills_total: [{ labels: cg('web-1'), value: 1 }] } },
    memory: {
      gauges: {
        memory_total_bytes: [{ labels: {}, value: 8e9 }],
        memory_available_bytes: [{ labels: {}, value: 6e9 }],
        memory_used_bytes: [{ labels: {}, value: 2e9 }],
        swap_total_bytes: [{ labels: {}, value: 0 }],
        swap_used_bytes: [{ labels: {}, value: 0 }],
      },
    },
    pressure: {
      counters: {
        pressure_stall_seconds_total: [{ labels: { resource: 'memory', kind: 'some' }, value: 1.5 }],
      },
    },
    cgroup_memory: {
      gauges: {
        cgroup_memory_usage_bytes: [{ labels: cg('web-1'), value: 900 }],
        cgroup_memory_limit_bytes: [{ labels: cg('web-1'), value: 1000 }],
        cgroup_memory_used_ratio: [{ labels: cg('web-1'), value: 0.9 }],
      },
    },
  };
}

describe('Exporter', () => {
  test('the exposition of every contract family passes promtool check metrics', async () => {
    const { exporter } = setup(fullData(), 1);
    const rendered = await exporter.render();
    const { contentType } = rendered;
    const body = rendered.body.toString();
    assert.match(contentType, /^text\/plain; version=0\.0\.4/);
    const lint = await promtoolCheck(body);
    assert.equal(lint.code, 0, lint.output);
    for (const f of collectorFamilies())
      assert.match(body, new RegExp(`^# TYPE kerno_${f.name} ${f.type}$`, 'm'));
  });

  test('kernel histograms become second-based histograms with _bucket/_sum/_count', async () => {
    const { scrape } = setup(fullData());
    const all = await scrape();
    const b = (le: string) =>
      samples(all, 'kerno_syscall_duration_seconds_bucket', { syscall: 'read', le })[0]?.value;
    assert.equal(b('0.000001'), 1); // 800 ns
    assert.equal(b('0.0000025'), 2); // + 1.5 µs
    assert.equal(b('0.000025'), 3); // + 20 µs
    assert.equal(b('+Inf'), 3);
    assert.equal(samples(all, 'kerno_syscall_duration_seconds_count', { syscall: 'read' })[0]?.value, 3);
    const sum = samples(all, 'kerno_syscall_duration_seconds_sum', { syscall: 'read' })[0]!.value;
    assert.ok(Math.abs(sum - 22_300e-9) < 1e-12);
    assert.equal(samples(all, 'kerno_runqueue_delay_seconds_bucket', { le: '0.01' })[0]?.value, 2);
    assert.equal(
      samples(all, 'kerno_disk_io_duration_seconds_count', { device: 'vda', op: 'write' })[0]?.value,
      1,
    );
    assert.equal(samples(all, 'kerno_syscalls_total', { syscall: 'read' })[0]?.value, 3);
    assert.equal(samples(all, 'kerno_tcp_retransmitted_segments_total')[0]?.value, 7);
  });

  test('one collection read per scrape, shared by every family and by concurrent scrapes', async () => {
    const { exporter, source } = setup(fullData());
    await exporter.render();
    assert.equal(source.metricsCalls, 1);
    const gate = deferred();
    source.metricsGate = gate.promise;
    const a = exporter.render();
    const b = exporter.render();
    gate.resolve();
    const [ra, rb] = await Promise.all([a, b]);
    assert.equal(source.metricsCalls, 2, 'two concurrent scrapes shared one read');
    assert.match(ra.body.toString(), /kerno_syscalls_total\{syscall="read"\} 3/);
    assert.equal(rb, ra);
  });

  test('values follow the kernel between scrapes (cumulative counters are set, not added up)', async () => {
    const { scrape, source } = setup(fullData());
    await scrape();
    source.metricsData.get('tcp')!.counters!.tcp_retransmitted_segments_total = [{ labels: {}, value: 12 }];
    const all = await scrape();
    assert.equal(samples(all, 'kerno_tcp_retransmitted_segments_total')[0]?.value, 12);
  });

  test('label sets over the cap fold into one "[overflow]" series and are counted', async () => {
    const cg = (pod: string) => ({ cgroup: `/kubepods/${pod}`, pod, namespace: 'default' });
    const { scrape, logs } = setup(
      {
        cgroup_memory: {
          gauges: {
            cgroup_memory_used_ratio: ['a', 'b', 'c', 'd'].map((p, i) => ({
              labels: cg(p),
              value: 0.5 + i / 10,
            })),
            cgroup_memory_usage_bytes: ['a', 'b', 'c', 'd'].map((p) => ({ labels: cg(p), value: 100 })),
          },
        },
        oom: { counters: { oom_kills_total: ['a', 'b', 'c'].map((p) => ({ labels: cg(p), value: 2 })) } },
      },
      2,
    );
    let all = await scrape();
    const ratio = samples(all, 'kerno_cgroup_memory_used_ratio');
    assert.equal(ratio.length, 3);
    const over = { cgroup: '[overflow]', pod: '[overflow]', namespace: '[overflow]' };
    assert.equal(
      samples(all, 'kerno_cgroup_memory_used_ratio', over)[0]?.value,
      0.8,
      'ratio overflow holds the max',
    );
    assert.equal(
      samples(all, 'kerno_cgroup_memory_usage_bytes', over)[0]?.value,
      200,
      'bytes overflow holds the sum',
    );
    assert.equal(samples(all, 'kerno_oom_kills_total', over)[0]?.value, 2);
    const folded = (family: string) =>
      samples(all, 'kerno_metric_series_folded_total', { family: `kerno_${family}` })[0]?.value;
    assert.equal(folded('cgroup_memory_used_ratio'), 2);
    assert.equal(folded('oom_kills_total'), 1);
    assert.equal(folded('syscalls_total'), 0, 'labelled families start at 0');
    all = await scrape();
    assert.equal(
      samples(all, 'kerno_metric_series_folded_total', { family: 'kerno_cgroup_memory_used_ratio' })[0]
        ?.value,
      2,
      'still-folded label sets are not counted twice',
    );
    assert.ok(logs().some((l) => String(l.msg).includes('over its series cap')));
  });

  test('duplicate label sets from a collector are merged; unknown families are logged once and dropped', async () => {
    const { scrape, logs } = setup({
      syscall: {
        counters: {
          syscalls_total: [
            { labels: { syscall: 'read' }, value: 2 },
            { labels: { syscall: 'read', comm: 'x' }, value: 3 },
          ],
          made_up_total: [{ labels: {}, value: 1 }],
        },
        gauges: { syscalls_total: [{ labels: { syscall: 'read' }, value: 1 }] },
      },
    });
    let all = await scrape();
    assert.equal(samples(all, 'kerno_syscalls_total', { syscall: 'read' })[0]?.value, 5);
    assert.equal(
      samples(all, 'kerno_syscalls_total')[0]?.labels.comm,
      undefined,
      'undeclared labels are dropped',
    );
    assert.equal(all.filter((s) => s.name.includes('made_up')).length, 0);
    all = await scrape();
    const warns = logs().filter((l) => String(l.msg).includes('does not know'));
    assert.equal(warns.length, 2, 'one warning per unknown family/type, not per scrape');
    assert.deepEqual(warns.map((w) => w.family).sort(), ['made_up_total', 'syscalls_total']);
  });

  test('self metrics: info, programs, collector events and errors; Node process metrics without lint errors', async () => {
    const { scrape } = setup({});
    const all = await scrape();
    assert.equal(samples(all, 'kerno_info', { version: '9.9.9' })[0]?.value, 1);
    const build = { version: '9.9.9', revision: 'abc123', node: 'v20.20.2', libbpf: 'v1.1' };
    assert.equal(samples(all, 'kerno_build_info', build)[0]?.value, 1);
    assert.equal(samples(all, 'kerno_bpf_programs_loaded')[0]?.value, 2);
    assert.equal(samples(all, 'kerno_bpf_programs_expected')[0]?.value, 6);
    assert.equal(samples(all, 'kerno_collector_events_total', { collector: 'syscall' })[0]?.value, 1234);
    assert.equal(samples(all, 'kerno_collector_errors_total', { collector: 'syscall' })[0]?.value, 2);
    assert.equal(
      samples(all, 'kerno_collector_errors_total', { collector: 'tcp' })[0]?.value,
      1,
      'a failed start',
    );
    assert.ok(samples(all, 'process_cpu_seconds_total').length === 1);
    assert.ok(
      all.some((s) => s.name === 'nodejs_active_handles' || s.name === 'nodejs_heap_size_used_bytes'),
    );
    assert.equal(samples(all, 'nodejs_active_handles_total').length, 0);
    // The event-loop lag monitor samples once a second (not prom-client's 10 ms), but is still exported.
    assert.equal(samples(all, 'nodejs_eventloop_lag_p99_seconds').length, 1);
  });

  test('a completed render is reused for cacheMs, then read again', async () => {
    const source = new FakeCollection();
    source.metricsData = new Map(Object.entries(fullData()));
    let now = 1_000;
    const exporter = new Exporter({
      registry: new Registry(),
      source,
      logger: createLogger({ write: () => {} }),
      version: '1',
      cacheMs: 500,
      now: () => now,
    });
    const first = await exporter.render();
    now += 499;
    assert.equal(await exporter.render(), first);
    assert.equal(source.metricsCalls, 1);
    now += 1;
    assert.notEqual(await exporter.render(), first);
    assert.equal(source.metricsCalls, 2);
  });

  test("nothing lands on prom-client's global registry", async () => {
    const { exporter } = setup(fullData());
    await exporter.render();
    assert.ok(!(await globalRegistry.metrics()).includes('kerno_'));
    // A second exporter on its own registry does not clash with the first.
    setup(fullData());
  });
});
