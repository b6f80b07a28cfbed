// deploy/: the systemd unit, the Kubernetes manifests and the Helm chart parse, reference real `kerno start`
// flags, ports and endpoints, and their alert rules are valid PromQL (promtool). Helm is not installed
// here, so templates are checked statically: every .Values path exists, every include is defined, every
// flag is real.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import YAML from 'yaml';
import { run } from '../../../src/cli/main.js';
import { loadConfig } from '../../../src/config/index.js';
import { startCommand } from '../../../src/cli/start-cmd.js';
import { preflightCommand } from '../../../src/cli/preflight-cmd.js';
import { packageRoot } from '../../../src/bpf/paths.js';
import { dashboardPanels, dashboardQueries, DASHBOARD } from '../../helpers/grafana.js';

const root = packageRoot();
const deploy = join(root, 'deploy');
const read = (...p: string[]): string => readFileSync(join(deploy, ...p), 'utf8');

async function startHelp(): Promise<string> {
  return commandHelp('start');
}

async function commandHelp(name: 'start' | 'preflight'): Promise<string> {
  let out = '';
  const code = await run(
    [name, '--help'],
    {
      out: (s) => void (out += s),
      err: () => {},
      stdoutIsTTY: false,
      env: {},
    },
    [name === 'start' ? startCommand : preflightCommand],
  );
  assert.equal(code, 0);
  return out;
}

/** `--flag` tokens of `kerno` arguments: ExecStart lines and YAML list items, commented-out ones included
 * (a documented flag must exist too); other tools' flags in prose comments are not ours to check. */
function flagsIn(text: string): string[] {
  const lines = text.split('\n').filter((l) => /^\s*ExecStart=|^\s*(#\s*)?- +"?--/.test(l));
  return [
    ...new Set(
      lines.flatMap((l) => [...l.matchAll(/(?<![\w-])--([a-z][a-z0-9-]+)/g)].map((m) => `--${m[1]}`)),
    ),
  ];
}

type Obj = Record<string, unknown>;
const at = (o: unknown, ...path: (string | number)[]): unknown =>
  path.reduce<unknown>((v, k) => (v as Obj | undefined)?.[k as string], o);

describe('deploy/systemd', () => {
  test('kerno.service passes systemd-analyze verify with no warnings; hardening and restart policy are set', () => {
    const unit = read('systemd', 'kerno.service');
    const dir = mkdtempSync(join(tmpdir(), 'kerno-test-unit-'));
    try {
      // verify checks that ExecStart's binary exists; point it at one that does.
      const path = join(dir, 'kerno.service');
      writeFileSync(path, unit.replaceAll('/usr/local/bin/kerno', process.execPath));
      const r = spawnSync('systemd-analyze', ['verify', path], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stderr.trim(), '', `systemd-analyze verify warnings:\n${r.stderr}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const key = (k: string): string | undefined => new RegExp(`^${k}=(.*)$`, 'm').exec(unit)?.[1];
    assert.equal(key('ExecStart'), '/usr/local/bin/kerno start --listen 127.0.0.1:9733');
    assert.equal(key('Restart'), 'on-failure');
    assert.equal(key('RestartSec'), '5s');
    assert.equal(key('NoNewPrivileges'), 'yes');
    assert.equal(key('ProtectSystem'), 'strict');
    assert.equal(key('ProtectHome'), 'yes');
    assert.equal(key('PrivateTmp'), 'yes');
    assert.equal(key('StateDirectory'), 'kerno');
    const caps = key('AmbientCapabilities')!.split(' ');
    assert.deepEqual(key('CapabilityBoundingSet')!.split(' '), caps);
    for (const c of ['CAP_BPF', 'CAP_PERFMON', 'CAP_NET_ADMIN', 'CAP_SYS_PTRACE', 'CAP_DAC_READ_SEARCH'])
      assert.ok(caps.includes(c), c);
    assert.ok(!caps.includes('CAP_SYS_ADMIN'), 'no CAP_SYS_ADMIN on kernels with CAP_BPF');
    assert.doesNotMatch(
      unit,
      /^(ProtectProc|PrivateDevices|ProtectKernelLogs)=/m,
      'these hide /proc/<pid> or /dev/kmsg',
    );
  });

  test('every flag in the unit is a real `kerno start` flag', async () => {
    const help = await startHelp();
    for (const f of flagsIn(read('systemd', 'kerno.service')))
      assert.ok(help.includes(f), `${f} is not in kerno start --help`);
  });

  test('config.yaml is a valid kerno configuration with no unknown keys', () => {
    const { config, warnings } = loadConfig({
      explicitPath: join(deploy, 'systemd', 'config.yaml'),
      env: {},
    });
    assert.deepEqual(warnings, []);
    assert.equal(config.daemon.listen, '127.0.0.1:9733');
    assert.equal(config.daemon.state_dir, '/var/lib/kerno');
    assert.equal(config.log_format, 'json');
  });
});

describe('deploy/k8s', () => {
  const docs = (name: string): Obj[] =>
    YAML.parseAllDocuments(read('k8s', name)).map((d) => {
      assert.deepEqual(d.errors, [], `${name}: ${d.errors.join('; ')}`);
      return d.toJS() as Obj;
    });

  test('every manifest parses and has the kind its file name says, in namespace kerno-system', () => {
    const kinds: Record<string, string> = {
      'namespace.yaml': 'Namespace',
      'serviceaccount.yaml': 'ServiceAccount',
      'daemonset.yaml': 'DaemonSet',
      'service.yaml': 'Service',
      'servicemonitor.yaml': 'ServiceMonitor',
      'prometheusrule.yaml': 'PrometheusRule',
    };
    assert.deepEqual(readdirSync(join(deploy, 'k8s')).sort(), Object.keys(kinds).sort());
    for (const [file, kind] of Object.entries(kinds)) {
      const [doc] = docs(file);
      assert.equal(doc!.kind, kind, file);
      if (kind === 'Namespace') assert.equal(at(doc, 'metadata', 'name'), 'kerno-system');
      else assert.equal(at(doc, 'metadata', 'namespace'), 'kerno-system', file);
    }
  });

  test('the DaemonSet runs `kerno start` with real flags on $(POD_IP):9733, probes /healthz and /readyz on that port', async () => {
    const help = await startHelp();
    const [ds] = docs('daemonset.yaml');
    const spec = at(ds, 'spec', 'template', 'spec') as Obj;
    assert.equal(spec.hostPID, true);
    const c = (spec.containers as Obj[])[0]!;
    const args = c.args as string[];
    assert.equal(args[0], 'start');
    for (const f of flagsIn(read('k8s', 'daemonset.yaml')))
      assert.ok(help.includes(f), `${f} is not in kerno start --help`);
    const listen = args[args.indexOf('--listen') + 1]!;
    assert.equal(listen, '$(POD_IP):9733');
    const env = c.env as { name: string; value?: string; valueFrom?: Obj }[];
    assert.equal(
      at(
        env.find((e) => e.name === 'POD_IP'),
        'valueFrom',
        'fieldRef',
        'fieldPath',
      ),
      'status.podIP',
    );
    const port = (c.ports as { name: string; containerPort: number }[]).find((p) => p.name === 'metrics')!;
    assert.equal(port.containerPort, 9733);
    assert.deepEqual(at(c, 'livenessProbe', 'httpGet'), { path: '/healthz', port: 'metrics' });
    assert.deepEqual(at(c, 'readinessProbe', 'httpGet'), { path: '/readyz', port: 'metrics' });
    // KERNO_CGROUP_ROOT points at where the node's cgroup hierarchy is mounted (the original forgot this).
    const cgroupRoot = env.find((e) => e.name === 'KERNO_CGROUP_ROOT')!.value;
    const mounts = c.volumeMounts as { name: string; mountPath: string; readOnly?: boolean }[];
    const vols = spec.volumes as { name: string; hostPath?: { path: string } }[];
    const cg = mounts.find((m) => m.mountPath === cgroupRoot)!;
    assert.ok(cg, `nothing mounted at KERNO_CGROUP_ROOT=${cgroupRoot}`);
    assert.equal(cg.readOnly, true);
    assert.equal(vols.find((v) => v.name === cg.name)!.hostPath!.path, '/sys/fs/cgroup');
    const btf = mounts.find((m) => m.mountPath === '/sys/kernel/btf')!;
    assert.equal(btf.readOnly, true);
    assert.ok(!mounts.some((m) => /tracing|debug/.test(m.mountPath)), 'tp_btf needs no tracefs/debugfs');
    const sc = c.securityContext as Obj;
    assert.ok(!sc.privileged, 'least privilege by default');
    const caps = at(sc, 'capabilities', 'add') as string[];
    for (const cap of ['BPF', 'PERFMON', 'NET_ADMIN', 'SYS_PTRACE', 'DAC_READ_SEARCH'])
      assert.ok(caps.includes(cap), cap);
    assert.ok(at(c, 'resources', 'limits', 'memory'));
    assert.match(read('k8s', 'daemonset.yaml'), /privileged: true/, 'the privileged fallback is documented');
  });

  test('Service and ServiceMonitor point at the metrics port and keep the victim pod/namespace labels', () => {
    const [svc] = docs('service.yaml');
    assert.deepEqual(at(svc, 'spec', 'ports', 0), {
      name: 'metrics',
      port: 9733,
      targetPort: 'metrics',
      protocol: 'TCP',
    });
    const [sm] = docs('servicemonitor.yaml');
    const ep = at(sm, 'spec', 'endpoints', 0) as Obj;
    assert.equal(ep.port, 'metrics');
    assert.equal(ep.path, '/metrics');
    assert.equal(ep.honorLabels, true);
  });

  test('the PrometheusRule groups pass promtool check rules and cover the required alerts', () => {
    const [rule] = docs('prometheusrule.yaml');
    const groups = at(rule, 'spec', 'groups') as { rules: { alert: string; expr: string }[] }[];
    const alerts = groups.flatMap((g) => g.rules.map((r) => r.alert));
    for (const a of [
      'KernoBPFProgramsNotLoaded',
      'KernoCollectorDisabled',
      'KernoOOMKills',
      'KernoCgroupMemoryPressure',
    ])
      assert.ok(alerts.includes(a), a);
    const dir = mkdtempSync(join(tmpdir(), 'kerno-test-rules-'));
    try {
      const file = join(dir, 'rules.yaml');
      writeFileSync(file, YAML.stringify({ groups }));
      execFileSync('promtool', ['check', 'rules', file], { encoding: 'utf8' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    // Every metric an alert uses is one kerno exports (names from the exporter, runtime and netconsole).
    const exported = new Set([
      'kerno_bpf_programs_loaded',
      'kerno_collector_disabled',
      'kerno_collector_errors_total',
      'kerno_events_dropped_total',
      'kerno_diagnosis_last_window_timestamp_seconds',
      'kerno_oom_kills_total',
      'kerno_cgroup_memory_used_ratio',
      'kerno_finding_active',
      'kerno_node_kernel_panics_total',
    ]);
    for (const g of groups)
      for (const r of g.rules)
        for (const m of r.expr.matchAll(/\bkerno_[a-z_]+/g))
          assert.ok(exported.has(m[0]), `${r.alert} uses unknown ${m[0]}`);
  });
});

describe('deploy/grafana/kerno.json', () => {
  test('every panel has queries, each valid PromQL (promtool), naming only kerno series or its own process', () => {
    const panels = dashboardPanels();
    assert.ok(panels.length >= 15, `${panels.length} panels`);
    for (const p of panels) assert.ok((p.targets ?? []).length > 0, `panel "${p.title}" has no query`);
    const queries = dashboardQueries();
    const dir = mkdtempSync(join(tmpdir(), 'kerno-test-dashboard-'));
    try {
      // promtool parses the expressions of a rule file: each query becomes a recording rule.
      const file = join(dir, 'rules.yml');
      writeFileSync(
        file,
        YAML.stringify({
          groups: [
            {
              name: 'dashboard',
              rules: queries.map((q, i) => ({ record: `dashboard:q${i}`, expr: q.expr })),
            },
          ],
        }),
      );
      execFileSync('promtool', ['check', 'rules', file], { encoding: 'utf8' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    for (const q of queries)
      for (const m of q.expr.matchAll(/\b([a-z_:][a-z0-9_:]*)\{/g))
        assert.match(m[1]!, /^(kerno_|process_)/, `${q.panel}: ${m[1]} is not a kerno series`);
  });
});

describe('deploy/helm/kerno', () => {
  const chart = join('helm', 'kerno');
  const values = YAML.parse(read(chart, 'values.yaml')) as Obj;
  const templates = readdirSync(join(deploy, chart, 'templates')).map((f) => ({
    f,
    text: read(chart, 'templates', f),
  }));

  test('Chart.yaml and values.yaml parse; appVersion matches the package version', () => {
    const meta = YAML.parse(read(chart, 'Chart.yaml')) as Obj;
    assert.equal(meta.apiVersion, 'v2');
    assert.equal(meta.name, 'kerno');
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
    assert.equal(meta.appVersion, pkg.version);
    assert.equal(at(values, 'daemon', 'port'), 9733);
    assert.ok((values.capabilities as string[]).includes('BPF'));
  });

  test('the Grafana dashboard ConfigMap: off by default, the sidecar label, the chart copy of the dashboard', () => {
    assert.equal(at(values, 'grafanaDashboard', 'enabled'), false);
    assert.equal(at(values, 'grafanaDashboard', 'label'), 'grafana_dashboard');
    const t = templates.find((x) => x.f === 'grafana-dashboard.yaml')!.text;
    assert.match(t, /^\{\{- if \.Values\.grafanaDashboard\.enabled \}\}/);
    assert.match(
      t,
      /\{\{ \.Values\.grafanaDashboard\.label \}\}: \{\{ \.Values\.grafanaDashboard\.labelValue \| quote \}\}/,
    );
    assert.match(t, /\{\{ \.Files\.Get "dashboards\/kerno\.json" \| indent 4 \}\}/);
    // Helm reads only files inside the chart: the copy must be the dashboard itself.
    assert.equal(read(chart, 'dashboards', 'kerno.json'), readFileSync(DASHBOARD, 'utf8'));
  });

  test('templates: balanced delimiters, every .Values path exists, every include is defined', () => {
    const helpers = templates.find((t) => t.f === '_helpers.tpl')!.text;
    const defined = new Set([...helpers.matchAll(/define "([^"]+)"/g)].map((m) => m[1]));
    for (const { f, text } of templates) {
      assert.equal(text.split('{{').length, text.split('}}').length, `${f}: unbalanced {{ }}`);
      for (const m of text.matchAll(/\.Values((?:\.[A-Za-z][A-Za-z0-9]*)+)/g)) {
        const path = m[1]!.slice(1).split('.');
        assert.notEqual(
          at(values, ...path),
          undefined,
          `${f}: .Values.${path.join('.')} is not in values.yaml`,
        );
      }
      for (const m of text.matchAll(/include "([^"]+)"/g))
        assert.ok(defined.has(m[1]), `${f}: include "${m[1]}" is not defined`);
    }
  });

  test('the DaemonSet template uses real flags, the probe endpoints, and mounts the cgroup root it sets', async () => {
    const help = await startHelp();
    const ds = templates.find((t) => t.f === 'daemonset.yaml')!.text;
    const flags = flagsIn(ds);
    for (const f of ['--listen', '--interval', '--state-dir', '--metrics-token-file', '--netconsole-listen'])
      assert.ok(flags.includes(f), `${f} not wired in the chart`);
    for (const f of flags) assert.ok(help.includes(f), `${f} is not in kerno start --help`);
    assert.match(ds, /- "\$\(POD_IP\):\{\{ \.Values\.daemon\.port \}\}"/);
    assert.match(ds, /path: \/healthz/);
    assert.match(ds, /path: \/readyz/);
    assert.match(ds, /name: KERNO_CGROUP_ROOT\n\s+value: \{\{ \.Values\.cgroupRoot \| quote \}\}/);
    assert.match(ds, /mountPath: \{\{ \.Values\.cgroupRoot \}\}\n\s+readOnly: true/);
    assert.match(ds, /privileged: true/, 'the privileged fallback is a value');
  });

  test('RBAC: pod names need get nodes/proxy; --netconsole-k8s lists nodes and pods, and writes only with netconsole.kubernetes.writes', async () => {
    const rbac = templates.find((t) => t.f === 'rbac.yaml')!.text;
    const render = (over: Record<string, boolean>): Obj[] => {
      const v = (path: string): boolean =>
        over[path] ?? Boolean(at(values, ...path.replace(/^\.Values\./, '').split('.')));
      const cond = (expr: string): boolean => {
        const and = /^and (\S+) (\S+)$/.exec(expr);
        if (and) return v(and[1]!) && v(and[2]!);
        assert.match(expr, /^\.Values\.[\w.]+$/, `unsupported condition ${expr}`);
        return v(expr);
      };
      // The template's own conditionals, evaluated; includes become placeholders (labels are checked above).
      const out: string[] = [];
      const stack: boolean[] = [];
      for (const line of rbac.split('\n')) {
        const m = /^\s*\{\{-? (if (.+?)|end) -?\}\}\s*$/.exec(line);
        if (m) {
          if (m[1] === 'end') stack.pop();
          else stack.push(cond(m[2]!));
          continue;
        }
        if (stack.every(Boolean))
          out.push(
            line
              .replace(/\{\{- include "kerno\.labels" \. \| nindent \d+ \}\}/, 'app: kerno')
              .replace(/\{\{ include "[\w.]+" \. \}\}/g, 'kerno')
              .replace(/\{\{ \.Release\.Namespace \}\}/g, 'kerno-system'),
          );
      }
      return YAML.parseAllDocuments(out.join('\n'))
        .map((d) => d.toJS() as Obj | null)
        .filter((d): d is Obj => d !== null);
    };
    type Rule = { apiGroups: string[]; resources: string[]; verbs: string[] };
    const grants = (docs: Obj[], name: string): Set<string> => {
      const role = docs.find((d) => d.kind === 'ClusterRole' && at(d, 'metadata', 'name') === name);
      if (!role) return new Set();
      return new Set(
        (role.rules as Rule[]).flatMap((r) =>
          r.resources.flatMap((res) => r.verbs.map((vb) => `${vb} ${res}`)),
        ),
      );
    };
    // Defaults: only the kubelet's nodes/proxy.
    const defaults = render({});
    assert.deepEqual([...grants(defaults, 'kerno-netconsole-k8s')], []);
    assert.deepEqual([...grants(defaults, 'kerno-pod-names')], ['get nodes/proxy']);
    // The link without writes: the two lists, nothing else; bound to the chart's service account.
    const reads = render({
      '.Values.netconsole.enabled': true,
      '.Values.netconsole.kubernetes.enabled': true,
    });
    assert.deepEqual([...grants(reads, 'kerno-netconsole-k8s')].sort(), ['list nodes', 'list pods']);
    const binding = reads.find(
      (d) => d.kind === 'ClusterRoleBinding' && at(d, 'metadata', 'name') === 'kerno-netconsole-k8s',
    )!;
    assert.equal(at(binding, 'roleRef', 'name'), 'kerno-netconsole-k8s');
    assert.equal(at(binding, 'subjects', 0, 'kind'), 'ServiceAccount');
    // Without netconsole the link has nothing to link: no role even if kubernetes.enabled is set.
    assert.equal(
      grants(render({ '.Values.netconsole.kubernetes.enabled': true }), 'kerno-netconsole-k8s').size,
      0,
    );
    // Writes: exactly the calls src/netconsole/k8s-link.ts makes.
    const writes = render({
      '.Values.netconsole.enabled': true,
      '.Values.netconsole.kubernetes.enabled': true,
      '.Values.netconsole.kubernetes.writes': true,
    });
    assert.deepEqual([...grants(writes, 'kerno-netconsole-k8s')].sort(), [
      'create events',
      'list nodes',
      'list pods',
      'patch nodes',
      'patch pods',
    ]);
    // The DaemonSet mounts the token for it and passes the flags.
    const ds = templates.find((t) => t.f === 'daemonset.yaml')!.text;
    assert.match(
      ds,
      /automountServiceAccountToken: \{\{ or \.Values\.podNames\.enabled \(and \.Values\.netconsole\.enabled \.Values\.netconsole\.kubernetes\.enabled\) \}\}/,
    );
    assert.match(ds, /if \.Values\.netconsole\.kubernetes\.enabled \}\}\n\s+- --netconsole-k8s\n/);
    assert.match(ds, /if \.Values\.netconsole\.kubernetes\.writes \}\}\n\s+- --netconsole-k8s-writes\n/);
    const help = await startHelp();
    for (const f of ['--netconsole-k8s', '--netconsole-k8s-writes']) assert.ok(help.includes(f), f);
  });

  test("preflight.enabled adds an init container running `kerno preflight` with the daemon's flags, env, privileges and mounts", async () => {
    assert.equal(
      at(values, 'preflight', 'enabled'),
      false,
      'off by default: it must not change existing installs',
    );
    const ds = templates.find((t) => t.f === 'daemonset.yaml')!.text;
    const init =
      /\{\{- if \.Values\.preflight\.enabled \}\}\n[\s\S]*? {6}initContainers:\n([\s\S]*?) {6}\{\{- end \}\}\n {6}containers:\n/.exec(
        ds,
      );
    assert.ok(init, 'no initContainers block guarded by .Values.preflight.enabled before containers:');
    const main = /\n {6}containers:\n([\s\S]*?) {6}volumes:\n/.exec(ds)![1]!;
    const initBody = init[1]!;
    assert.match(initBody, /^ {8}- name: preflight\n/);
    assert.match(initBody, /args:\n {12}- preflight\n/);
    // The same --listen and --state-dir values as `kerno start`, and only flags `kerno preflight` has.
    const startArgs = (text: string, flag: string): string =>
      new RegExp(`- ${flag}\\n\\s+- (.*)\\n`).exec(text)![1]!;
    for (const f of ['--listen', '--state-dir']) assert.equal(startArgs(initBody, f), startArgs(main, f), f);
    const help = await commandHelp('preflight');
    for (const f of flagsIn(initBody)) assert.ok(help.includes(f), `${f} is not in kerno preflight --help`);
    // What preflight judges must be what the daemon gets: env, securityContext and mounts are copies.
    const block = (text: string, key: string): string =>
      new RegExp(`\\n( {10}${key}:.*\\n(?: {12}.*\\n)*)`).exec(text)![1]!;
    for (const key of ['image', 'env', 'securityContext', 'volumeMounts', 'resources'])
      assert.equal(block(initBody, key), block(main, key), `init container ${key} differs from the daemon's`);
  });

  test("the chart's alert expressions are the checked ones of deploy/k8s/prometheusrule.yaml", () => {
    const k8s = (YAML.parse(read('k8s', 'prometheusrule.yaml')) as Obj).spec as {
      groups: { rules: { alert: string; expr: string }[] }[];
    };
    const helm = templates.find((t) => t.f === 'prometheusrule.yaml')!.text;
    for (const g of k8s.groups)
      for (const r of g.rules) {
        const m = new RegExp(`alert: ${r.alert}\\n\\s+expr: (.*)\\n`).exec(helm);
        assert.ok(m, `${r.alert} missing from the chart`);
        const expr = m[1]!.replace(
          '{{ .Values.prometheusRule.cgroupMemoryRatio }}',
          String(at(values, 'prometheusRule', 'cgroupMemoryRatio')),
        );
        assert.equal(expr, r.expr, r.alert);
      }
  });
});
