// Small predicates the scenarios' `verify` tables share: which announced subject means the incident is under
// way, and which of a run's subjects a finding can name.
import type { ChaosSubject } from './types.js';

export const isProcess = (comm: string) => (s: ChaosSubject) => s.kind === 'process' && s.comm === comm;
export const isKind = (kind: ChaosSubject['kind']) => (s: ChaosSubject) => s.kind === kind;
/** stress-ng stressors are named stress-ng-<stressor>. */
export const isStressor = (name: string) => (s: ChaosSubject) =>
  s.kind === 'process' && s.comm === `stress-ng-${name}`;

export function processes(subjects: readonly ChaosSubject[]) {
  return subjects.filter((s): s is Extract<ChaosSubject, { kind: 'process' }> => s.kind === 'process');
}
export function cgroups(subjects: readonly ChaosSubject[]) {
  return subjects.filter((s): s is Extract<ChaosSubject, { kind: 'cgroup' }> => s.kind === 'cgroup');
}
export function connections(subjects: readonly ChaosSubject[]) {
  return subjects.filter((s): s is Extract<ChaosSubject, { kind: 'connection' }> => s.kind === 'connection');
}

/** A cgroup path names the scenario's cgroup: equal, or the same cgroup seen from a deeper mount root. */
export function sameCgroup(path: string, subjectPath: string): boolean {
  return path === subjectPath || path.endsWith(subjectPath) || subjectPath.endsWith(path);
}
