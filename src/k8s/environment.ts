// What kind of place kerno runs in, for the report header: a Kubernetes node (and which), a container, a
// systemd host, or a bare host. Detection reads a few well-known marks through an injected probe, so the
// decision itself is pure and tested on fixtures.
import { existsSync, readFileSync } from 'node:fs';
import type { EnvironmentKind } from '../signals/types.js';
import { parseCgroupPath } from './cgroup-path.js';

export interface DetectedEnvironment {
  kind: EnvironmentKind;
  /** Kubernetes only: the node, from the downward API env (spec.nodeName). */
  nodeName?: string;
}

export interface EnvironmentProbe {
  env: Readonly<Record<string, string | undefined>>;
  exists(path: string): boolean;
  read(path: string): string | undefined;
}

export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';
/** Env vars a DaemonSet sets from fieldRef spec.nodeName, in the order they are tried. */
export const NODE_NAME_ENV = ['NODE_NAME', 'KUBERNETES_NODE_NAME', 'KERNO_NODE_NAME'] as const;

/**
 * Kubernetes: every pod gets KUBERNETES_SERVICE_HOST, and a mounted service account. Container: the marks
 * docker (/.dockerenv), podman (/run/.containerenv) and systemd-nspawn/podman ($container) leave, or pid 1
 * in a container cgroup. systemd: /run/systemd/system, the test sd_booted(3) makes. Bare metal: none of
 * these (a VM without systemd counts as bare metal: kerno cannot tell and nothing it reports depends on it).
 */
export function detectEnvironment(
  probe: EnvironmentProbe,
  nodeNameEnv: readonly string[] = NODE_NAME_ENV,
): DetectedEnvironment {
  const { env } = probe;
  if (nonEmpty(env.KUBERNETES_SERVICE_HOST) || probe.exists(`${SERVICE_ACCOUNT_DIR}/token`)) {
    const nodeName = nodeNameEnv.map((n) => env[n]).find(nonEmpty);
    return nodeName !== undefined ? { kind: 'kubernetes', nodeName } : { kind: 'kubernetes' };
  }
  if (
    probe.exists('/.dockerenv') ||
    probe.exists('/run/.containerenv') ||
    nonEmpty(env.container) ||
    pid1InContainer(probe.read('/proc/1/cgroup'))
  )
    return { kind: 'container' };
  if (probe.exists('/run/systemd/system')) return { kind: 'systemd' };
  return { kind: 'bare-metal' };
}

/** /proc/1/cgroup lines are "id:controllers:path"; any path naming a container id or pod says container. */
function pid1InContainer(text: string | undefined): boolean {
  if (text === undefined) return false;
  return text.split('\n').some((line) => {
    const path = line.split(':').slice(2).join(':');
    if (path === '') return false;
    const meta = parseCgroupPath(path);
    return meta.containerId !== undefined || meta.podUid !== undefined;
  });
}

function nonEmpty(s: string | undefined): s is string {
  return s !== undefined && s.trim() !== '';
}

/** The probe over this machine's files and a given environment. */
export function systemProbe(env: NodeJS.ProcessEnv = process.env): EnvironmentProbe {
  return {
    env,
    exists: (path) => existsSync(path),
    read: (path) => {
      try {
        return readFileSync(path, 'utf8');
      } catch {
        return undefined;
      }
    },
  };
}
