// The image the manifests run and the manifests' safety defaults: one image name (deploy/image.env) and
// package.json's version everywhere; /metrics behind a token from a Secret; Linux nodes only; the /run
// volume the release executable unpacks into. And the DaemonSet → docker run translation verify.sh's
// image phase relies on: every privilege the manifest grants is passed, and nothing it does not know is
// silently dropped.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import YAML from 'yaml';
import { packageRoot } from '../../src/bpf/paths.js';
import { translate, memoryBytes, cpuCores } from '../image/daemonset-docker.js';

const root = packageRoot();
const read = (...p: string[]): string => readFileSync(join(root, ...p), 'utf8');
const version = (JSON.parse(read('package.json')) as { version: string }).version;
const imageName = /^KERNO_IMAGE=(\S+)$/m.exec(read('deploy', 'image.env'))?.[1];
type Obj = Record<string, unknown>;
const dsText = read('deploy', 'k8s', 'daemonset.yaml');
const ds = YAML.parse(dsText) as Obj;
const podSpec = ((ds.spec as Obj).template as Obj).spec as Obj;
const container = (podSpec.containers as Obj[])[0]!;

describe('image reference: one name, the package version', () => {
  test('deploy/image.env names the image', () => {
    assert.match(imageName ?? '', /^[a-z0-9.-]+(\/[a-z0-9._-]+)+$/);
  });

  test('deploy/k8s runs <image.env name>:<package.json version>', () => {
    assert.equal(container.image, `${imageName}:${version}`);
  });

  test('the chart defaults to the same name and the same version (appVersion)', () => {
    const values = YAML.parse(read('deploy', 'helm', 'kerno', 'values.yaml')) as Obj;
    const chart = YAML.parse(read('deploy', 'helm', 'kerno', 'Chart.yaml')) as Obj;
    assert.equal((values.image as Obj).repository, imageName);
    assert.equal((values.image as Obj).tag, '');
    assert.equal(chart.appVersion, version);
    assert.match(
      read('deploy', 'helm', 'kerno', 'templates', 'daemonset.yaml'),
      /image: "\{\{ \.Values\.image\.repository \}\}:\{\{ \.Values\.image\.tag \| default \.Chart\.AppVersion \}\}"/,
    );
  });

  test('no other image reference anywhere under deploy/', () => {
    for (const f of ['k8s/daemonset.yaml', 'helm/kerno/values.yaml'])
      for (const m of read('deploy', f).matchAll(/^\s*(?:image|repository):[ \t]*"?([^\s"{]+)/gm))
        assert.ok(m[1] === `${imageName}:${version}` || m[1] === imageName, `${f}: ${m[1]}`);
  });
});

describe('DaemonSet safe by default', () => {
  test('k8s: /metrics needs the token from Secret kerno-metrics-token; the ServiceMonitor sends it', () => {
    const args = container.args as string[];
    assert.equal(args[args.indexOf('--metrics-token-file') + 1], '/etc/kerno/token/token');
    const mount = (container.volumeMounts as Obj[]).find((m) => m.mountPath === '/etc/kerno/token')!;
    assert.equal(mount.readOnly, true);
    const vol = (podSpec.volumes as Obj[]).find((v) => v.name === mount.name)!;
    assert.equal((vol.secret as Obj).secretName, 'kerno-metrics-token');
    // 0400 is octal to Kubernetes (YAML 1.1), decimal to this YAML 1.2 parser: check the text.
    assert.match(dsText, /secretName: kerno-metrics-token\n\s+defaultMode: 0400\n/);
    const sm = YAML.parse(read('deploy', 'k8s', 'servicemonitor.yaml')) as Obj;
    const ep = ((sm.spec as Obj).endpoints as Obj[])[0]!;
    assert.deepEqual(ep.authorization, {
      type: 'Bearer',
      credentials: { name: 'kerno-metrics-token', key: 'token' },
    });
  });

  test('chart: metricsAuth on by default, a generated Secret kept across upgrades', () => {
    const values = YAML.parse(read('deploy', 'helm', 'kerno', 'values.yaml')) as Obj;
    assert.deepEqual(values.metricsAuth, {
      enabled: true,
      create: true,
      existingSecret: 'kerno-metrics-token',
      key: 'token',
    });
    const secret = read('deploy', 'helm', 'kerno', 'templates', 'secret.yaml');
    assert.match(secret, /lookup "v1" "Secret"/);
    assert.match(secret, /randAlphaNum 48/);
    assert.match(secret, /helm\.sh\/resource-policy: keep/);
  });

  test('Linux nodes only, in the manifest and the chart', () => {
    assert.deepEqual(podSpec.nodeSelector, { 'kubernetes.io/os': 'linux' });
    const values = YAML.parse(read('deploy', 'helm', 'kerno', 'values.yaml')) as Obj;
    assert.deepEqual(values.nodeSelector, { 'kubernetes.io/os': 'linux' });
  });

  test('read-only root: /run (where the release executable unpacks) is a volume, in both', () => {
    assert.equal((container.securityContext as Obj).readOnlyRootFilesystem, true);
    const mount = (container.volumeMounts as Obj[]).find((m) => m.mountPath === '/run')!;
    assert.ok(mount, 'no volume at /run');
    assert.ok((podSpec.volumes as Obj[]).find((v) => v.name === mount.name)!.emptyDir);
    assert.match(
      read('deploy', 'helm', 'kerno', 'templates', 'daemonset.yaml'),
      /- name: run\n\s+mountPath: \/run\n/,
    );
  });

  test('no CAP_SYS_ADMIN, no CAP_SYS_RESOURCE by default (measured by the image phase)', () => {
    const caps = ((container.securityContext as Obj).capabilities as Obj).add as string[];
    assert.deepEqual(caps, ['BPF', 'PERFMON', 'NET_ADMIN', 'SYS_PTRACE', 'DAC_READ_SEARCH']);
    const values = YAML.parse(read('deploy', 'helm', 'kerno', 'values.yaml')) as Obj;
    assert.deepEqual(values.capabilities, caps);
  });
});

describe('DaemonSet → docker run (test/image/daemonset-docker.ts)', () => {
  const opts = { hostPaths: { '/var/lib/kerno': '/tmp/s' }, secrets: { 'kerno-metrics-token': '/tmp/t' } };

  test('the real manifest: host namespaces, exactly its capabilities, seccomp, read-only root, limits, mounts', () => {
    const t = translate(dsText, opts);
    for (const o of [
      '--pid=host',
      '--network=host',
      '--user=0',
      '--security-opt=no-new-privileges',
      '--read-only',
      '--security-opt=seccomp=unconfined',
      `--memory=${256 * 2 ** 20}`,
      '--cpus=0.5',
      '--mount=type=bind,source=/sys/kernel/btf,target=/sys/kernel/btf,readonly',
      '--mount=type=bind,source=/sys/fs/cgroup,target=/host/sys/fs/cgroup,readonly',
      '--mount=type=bind,source=/tmp/s,target=/var/lib/kerno',
      '--mount=type=bind,source=/tmp/t,target=/etc/kerno/token,readonly',
    ])
      assert.ok(t.run.includes(o), o);
    assert.ok(!t.run.includes('--privileged'));
    assert.deepEqual(
      t.run.filter((o) => o.startsWith('--cap-')),
      [
        '--cap-drop=ALL',
        '--cap-add=BPF',
        '--cap-add=PERFMON',
        '--cap-add=NET_ADMIN',
        '--cap-add=SYS_PTRACE',
        '--cap-add=DAC_READ_SEARCH',
      ],
    );
    assert.ok(t.run.some((o) => o.startsWith('--tmpfs=/run:rw,exec')));
    assert.equal(t.env.KERNO_CGROUP_ROOT, '/host/sys/fs/cgroup');
    assert.equal(t.args[0], 'start');
    assert.equal(t.args[t.args.indexOf('--listen') + 1]!.split(':')[0], '127.0.0.1', '$(POD_IP) expanded');
  });

  test('privileged, a writable hostPath left unmapped, an unknown field: translated or refused, never dropped', () => {
    const edit = (f: (c: Obj, spec: Obj) => void): string => {
      const d = YAML.parse(dsText) as Obj;
      const spec = ((d.spec as Obj).template as Obj).spec as Obj;
      f((spec.containers as Obj[])[0]!, spec);
      return YAML.stringify(d);
    };
    const priv = translate(
      edit((c) => ((c.securityContext as Obj).privileged = true)),
      opts,
    );
    assert.ok(priv.run.includes('--privileged'));
    assert.throws(
      () => translate(dsText, { secrets: opts.secrets }),
      /hostPath \/var\/lib\/kerno is writable/,
    );
    assert.throws(() => translate(dsText, { hostPaths: opts.hostPaths }), /secret kerno-metrics-token/);
    assert.throws(
      () =>
        translate(
          edit((c) => ((c.securityContext as Obj).procMount = 'Unmasked')),
          opts,
        ),
      /securityContext\.procMount: not translated/,
    );
    assert.throws(
      () =>
        translate(
          edit((_c, spec) => (spec.hostUsers = false)),
          opts,
        ),
      /hostUsers: not translated/,
    );
    assert.throws(
      () =>
        translate(
          edit((c, spec) => {
            (spec.volumes as Obj[]).push({ name: 'x', nfs: {} });
            (c.volumeMounts as Obj[]).push({ name: 'x', mountPath: '/x' });
          }),
          opts,
        ),
      /volume x/,
    );
  });

  test('quantities', () => {
    assert.equal(memoryBytes('256Mi'), 268435456);
    assert.equal(memoryBytes('1G'), 1e9);
    assert.equal(cpuCores('500m'), 0.5);
    assert.equal(cpuCores('2'), 2);
    assert.throws(() => memoryBytes('lots'));
  });
});
