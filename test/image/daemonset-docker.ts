// Translates the DaemonSet's pod into `docker run` arguments, so verify.sh's image phase runs the image with
// exactly the privileges the manifest grants: its capabilities (or privileged flag), host namespaces,
// seccomp, read-only root, no-new-privileges, resource limits and every volume it mounts. A field this
// translation does not know is an error, never skipped: a privilege added to the manifest must be added here
// too, or the test would pass while assuming something the manifest does not say.
//
//   node --import tsx test/image/daemonset-docker.ts [--manifest FILE] [--pod-ip IP]
//        [--host-path HOSTPATH=DIR]… [--secret NAME=DIR]…
// prints {"run": [docker run options], "args": [container args, $(VAR) expanded], "env": {…}} as JSON.
// --host-path maps a writable hostPath (the state directory) to a scratch directory; --secret supplies the
// directory holding a Secret's files.
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { pathToFileURL } from 'node:url';
import YAML from 'yaml';

type Obj = Record<string, unknown>;

export interface Translation {
  run: string[];
  args: string[];
  env: Record<string, string>;
}

export interface TranslateOptions {
  podIP?: string;
  nodeName?: string;
  hostPaths?: Record<string, string>;
  secrets?: Record<string, string>;
}

class ManifestError extends Error {
  override readonly name = 'ManifestError';
}

function known(o: unknown, where: string, keys: string[]): Obj {
  if (o === undefined || o === null) return {};
  if (typeof o !== 'object' || Array.isArray(o)) throw new ManifestError(`${where}: not a mapping`);
  for (const k of Object.keys(o))
    if (!keys.includes(k))
      throw new ManifestError(`${where}.${k}: not translated to docker run (add it here)`);
  return o as Obj;
}

/** Kubernetes quantities as docker wants them: memory in bytes, CPU in cores. */
export function memoryBytes(q: string): number {
  const m = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|k|M|G|T)?$/.exec(q);
  if (!m) throw new ManifestError(`memory quantity '${q}' not understood`);
  const mult: Record<string, number> = {
    '': 1,
    Ki: 2 ** 10,
    Mi: 2 ** 20,
    Gi: 2 ** 30,
    Ti: 2 ** 40,
    k: 1e3,
    M: 1e6,
    G: 1e9,
    T: 1e12,
  };
  return Math.round(Number(m[1]) * mult[m[2] ?? '']!);
}

export function cpuCores(q: string): number {
  const m = /^(\d+(?:\.\d+)?)(m)?$/.exec(q);
  if (!m) throw new ManifestError(`cpu quantity '${q}' not understood`);
  return m[2] ? Number(m[1]) / 1000 : Number(m[1]);
}

export function translate(manifest: string, opts: TranslateOptions = {}): Translation {
  const ds = YAML.parse(manifest) as Obj;
  if (ds.kind !== 'DaemonSet') throw new ManifestError(`kind ${String(ds.kind)}, expected DaemonSet`);
  const meta = ds.metadata as Obj;
  const pod = known(
    (ds.spec as Obj).template && ((ds.spec as Obj).template as Obj).spec,
    'spec.template.spec',
    [
      'serviceAccountName',
      'automountServiceAccountToken',
      'hostPID',
      'hostNetwork',
      'hostIPC',
      'dnsPolicy',
      'priorityClassName',
      'terminationGracePeriodSeconds',
      'tolerations',
      'nodeSelector',
      'affinity',
      'imagePullSecrets',
      'containers',
      'volumes',
    ],
  );
  const run: string[] = [];
  if (pod.hostPID) run.push('--pid=host');
  if (pod.hostIPC) run.push('--ipc=host');
  // Without hostNetwork a pod has its own network namespace: docker's "none" network is the closest
  // (this daemon runs without a bridge).
  run.push(pod.hostNetwork ? '--network=host' : '--network=none');
  const containers = pod.containers as Obj[];
  if (containers.length !== 1) throw new ManifestError(`${containers.length} containers, expected 1`);
  const c = known(containers[0], 'containers[0]', [
    'name',
    'image',
    'imagePullPolicy',
    'command',
    'args',
    'env',
    'ports',
    'livenessProbe',
    'readinessProbe',
    'startupProbe',
    'resources',
    'securityContext',
    'volumeMounts',
  ]);
  if (c.command !== undefined)
    throw new ManifestError('containers[0].command: the image entrypoint is expected');

  const sc = known(c.securityContext, 'securityContext', [
    'runAsUser',
    'runAsGroup',
    'runAsNonRoot',
    'allowPrivilegeEscalation',
    'readOnlyRootFilesystem',
    'privileged',
    'capabilities',
    'seccompProfile',
  ]);
  if (sc.runAsUser !== undefined)
    run.push(
      `--user=${Number(sc.runAsUser)}${sc.runAsGroup !== undefined ? `:${Number(sc.runAsGroup)}` : ''}`,
    );
  if (sc.privileged === true) run.push('--privileged');
  if (sc.allowPrivilegeEscalation === false) run.push('--security-opt=no-new-privileges');
  if (sc.readOnlyRootFilesystem === true) run.push('--read-only');
  const caps = known(sc.capabilities, 'securityContext.capabilities', ['add', 'drop']);
  for (const d of (caps.drop as string[] | undefined) ?? []) run.push(`--cap-drop=${d}`);
  for (const a of (caps.add as string[] | undefined) ?? []) run.push(`--cap-add=${a}`);
  const seccomp = known(sc.seccompProfile, 'securityContext.seccompProfile', ['type']);
  if (seccomp.type === 'Unconfined') run.push('--security-opt=seccomp=unconfined');
  else if (seccomp.type !== undefined && seccomp.type !== 'RuntimeDefault')
    throw new ManifestError(`seccompProfile.type ${String(seccomp.type)} not translated`);

  const limits = known(known(c.resources, 'resources', ['requests', 'limits']).limits, 'resources.limits', [
    'cpu',
    'memory',
  ]);
  if (limits.memory !== undefined) run.push(`--memory=${memoryBytes(String(limits.memory))}`);
  if (limits.cpu !== undefined) run.push(`--cpus=${cpuCores(String(limits.cpu))}`);

  // Environment, with the downward API values a node would give.
  const podIP = opts.podIP ?? '127.0.0.1';
  const field: Record<string, string> = {
    'status.podIP': podIP,
    'status.hostIP': podIP,
    'spec.nodeName': opts.nodeName ?? hostname(),
    'metadata.name': `${String(meta.name)}-image-test`,
    'metadata.namespace': String(meta.namespace ?? 'default'),
  };
  const env: Record<string, string> = {};
  for (const e of (c.env as Obj[] | undefined) ?? []) {
    const name = String(e.name);
    if (e.value !== undefined) env[name] = String(e.value);
    else {
      const path = (known(e.valueFrom, `env ${name}.valueFrom`, ['fieldRef']).fieldRef as Obj | undefined)
        ?.fieldPath;
      if (typeof path !== 'string' || field[path] === undefined)
        throw new ManifestError(`env ${name}: valueFrom not translated`);
      env[name] = field[path];
    }
  }
  for (const [k, v] of Object.entries(env)) run.push('-e', `${k}=${v}`);
  const expand = (s: string): string =>
    s.replace(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (m, v: string) => env[v] ?? m);

  // Volumes: what the container can see of the node.
  const volumes = new Map<string, Obj>();
  for (const v of (pod.volumes as Obj[] | undefined) ?? []) volumes.set(String(v.name), v);
  for (const m of (c.volumeMounts as Obj[] | undefined) ?? []) {
    const mount = known(m, `volumeMounts ${String(m.name)}`, ['name', 'mountPath', 'readOnly']);
    const v = volumes.get(String(mount.name));
    if (!v) throw new ManifestError(`volumeMount ${String(mount.name)}: no such volume`);
    const target = String(mount.mountPath);
    const ro = mount.readOnly === true;
    const vol = known(v, `volume ${String(v.name)}`, ['name', 'hostPath', 'emptyDir', 'secret']);
    if (vol.hostPath) {
      const hp = known(vol.hostPath, `volume ${String(v.name)}.hostPath`, ['path', 'type']);
      const path = String(hp.path);
      const source = opts.hostPaths?.[path] ?? path;
      if (!ro && source === path)
        throw new ManifestError(`hostPath ${path} is writable: map it to a scratch directory (--host-path)`);
      run.push(`--mount=type=bind,source=${source},target=${target}${ro ? ',readonly' : ''}`);
    } else if (vol.emptyDir) {
      const ed = known(vol.emptyDir, `volume ${String(v.name)}.emptyDir`, ['medium', 'sizeLimit']);
      // An emptyDir is neither noexec nor nosuid (docker's tmpfs defaults are): say so explicitly.
      const size = ed.sizeLimit !== undefined ? `,size=${memoryBytes(String(ed.sizeLimit))}` : '';
      run.push(`--tmpfs=${target}:rw,exec,suid,dev,mode=1777${size}`);
    } else if (vol.secret) {
      const s = known(vol.secret, `volume ${String(v.name)}.secret`, [
        'secretName',
        'defaultMode',
        'optional',
      ]);
      const dir = opts.secrets?.[String(s.secretName)];
      if (!dir)
        throw new ManifestError(`secret ${String(s.secretName)}: supply its files (--secret NAME=DIR)`);
      run.push(`--mount=type=bind,source=${dir},target=${target},readonly`);
    } else throw new ManifestError(`volume ${String(v.name)}: type not translated`);
  }
  return { run, args: ((c.args as string[] | undefined) ?? []).map((a) => expand(String(a))), env };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const argv = process.argv.slice(2);
  let manifest = 'deploy/k8s/daemonset.yaml';
  const opts: Required<Pick<TranslateOptions, 'hostPaths' | 'secrets'>> & TranslateOptions = {
    hostPaths: {},
    secrets: {},
  };
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value] = [argv[i], argv[i + 1]];
    if (value === undefined) throw new ManifestError(`${flag}: missing value`);
    const [k, v] = value.split('=', 2) as [string, string | undefined];
    if (flag === '--manifest') manifest = value;
    else if (flag === '--pod-ip') opts.podIP = value;
    else if (flag === '--host-path' && v) opts.hostPaths[k] = v;
    else if (flag === '--secret' && v) opts.secrets[k] = v;
    else throw new ManifestError(`unknown argument ${flag} ${value}`);
  }
  process.stdout.write(`${JSON.stringify(translate(readFileSync(manifest, 'utf8'), opts))}\n`);
}
