// Types shared by the chaos scenarios, the registry and the CLI.
import type { ChaosSession } from './session.js';
import type { Finding, Report } from '../doctor/types.js';

export type Intensity = 'low' | 'medium' | 'high';
export const INTENSITIES: readonly Intensity[] = ['low', 'medium', 'high'];

/**
 * Who makes the incident: kerno's own C worker (the default), or stress-ng — software we did not write, so a
 * rule that fires for both is not tuned to our worker's habits.
 */
export type Inducer = 'kerno-worker' | 'stress-ng';
export const INDUCERS: readonly Inducer[] = ['kerno-worker', 'stress-ng'];

export interface ChaosOptions {
  /** How long the incident lasts, setup included (the workloads stop at start + durationNs). */
  durationNs: number;
  intensity: Intensity;
  /** Default kerno-worker; stress-ng only for scenarios that list it in `inducers`. */
  inducer?: Inducer;
}

/** One line of human-readable progress; the CLI prints it to stderr. */
export type ChaosLog = (line: string) => void;

/** What `kerno doctor` should name when the paired rule fires. */
export type ChaosSubject =
  | { kind: 'process'; pid: number; comm: string }
  | {
      kind: 'cgroup';
      version: 1 | 2;
      /** path inside the hierarchy, e.g. /kerno-chaos-mem-1a2b3c4d */ path: string;
      dir: string;
    }
  | {
      kind: 'connection';
      srcAddr: string;
      srcPort: number;
      dstAddr: string;
      dstPort: number;
      /** The connection's own (sending) namespace, where its retransmits are counted. */
      netns: string;
      /** The receiving end's namespace (tcp-loss: it holds the drop rule). */
      peerNetns?: string;
    }
  | { kind: 'device'; /** "maj:min" of the whole disk */ dev: string; name: string };

export interface ScenarioResult {
  scenario: string;
  /** The run id embedded in every resource name (kerno-chaos-<runId>). */
  runId: string;
  rules: readonly string[];
  intensity: Intensity;
  inducer: Inducer;
  /** Requested duration, ns. */
  durationNs: number;
  /** Wall time from start to the end of the workload (cleanup not included), ns. */
  elapsedNs: number;
  /** True when the AbortSignal ended the run early (treated as success, like a timeout). */
  aborted: boolean;
  subjects: ChaosSubject[];
  /** What the workload and the kernel reported during the run (counts, ns, percent): ground truth. */
  observed: Record<string, number>;
  notes: string[];
  /** cascade: one result per overlapped stage. */
  stages?: ScenarioResult[];
}

/** Facts about this machine that change what a scenario does (detected once per run; injectable in tests). */
export interface HostFacts {
  cpus: number;
  isRoot: boolean;
  /** Where memory cgroups are created: a cgroup2 mount with the memory controller, else the v1 memory mount. */
  memoryCgroup?: { version: 1 | 2; root: string };
  /**
   * Where CPU-quota cgroups are created: cgroup2 with the cpu controller, else the v1 cpu mount, with the
   * v1 cpuacct mount (usage) when there is one (the same directory when co-mounted as cpu,cpuacct).
   */
  cpuCgroup?: { version: 1 | 2; root: string; cpuacctRoot?: string };
  /** A cgroup2 mount without the memory controller (hybrid hosts): used only for per-cgroup PSI files. */
  pressureCgroupRoot?: string;
  /** A writable directory on a disk-backed filesystem (not tmpfs) for scenario files. */
  scratchDir: string;
  scratchOnDisk: boolean;
  /** The whole disk under scratchDir ("maj:min" and name), when it could be resolved. */
  scratchDevice?: { dev: string; name: string };
  /** /proc/pressure exists. */
  psi: boolean;
}

export interface ScenarioContext {
  signal: AbortSignal;
  log: ChaosLog;
  session: ChaosSession;
  host: HostFacts;
  /** Called as soon as a subject is known (the workload is running), before the result. */
  onSubject: (subject: ChaosSubject) => void;
}

/** Does a finding name the scenario's subject? Why not, or undefined when it does. */
export type SubjectMatcher = (
  f: Finding,
  subjects: readonly ChaosSubject[],
  report: Report,
) => string | undefined;

export interface ScenarioVerify {
  /** The lowest intensity that fires at production thresholds with margin (2-CPU VM; e2e diagnostics). */
  intensity: Intensity;
  /** Nominal length; the test stops the scenario with SIGTERM as soon as doctor is done. */
  seconds: number;
  /** Wait after `ready` before doctor starts, so the window sees the incident at full strength. */
  settleMs: number;
  /** Per inducer it supports: the subject whose announcement means the whole incident is under way. */
  ready: Partial<Record<Inducer, (s: ChaosSubject) => boolean>>;
  /**
   * Per rule it pairs: does the finding name this scenario's subject? Host-wide rules (subject "") are
   * matched on what they can name: the scenario's process among the most delayed, its device, its cgroup.
   */
  match: Readonly<Record<string, SubjectMatcher>>;
}

export interface Scenario {
  name: string;
  /** Doctor rules this scenario targets (its pairing, as in `kerno chaos --list`). */
  rules: readonly string[];
  /**
   * What a doctor run during the incident must show: every group needs at least one of its rules to fire.
   * Omitted: every rule on its own (`rules.map(r => [r])`). disk-sat is one group of two, because which of
   * the two a disk reaches depends on the device.
   */
  expect?: readonly (readonly string[])[];
  description: string;
  /** Needs root (cgroups, network namespaces, nftables). */
  needsRoot: boolean;
  /** Inducers this scenario can use; omitted: only kerno-worker. */
  inducers?: readonly Inducer[];
  /** The scenarios it overlaps (cascade); listed after the scenarios it is made of. */
  stages?: readonly Scenario[];
  /** How the paired-rule e2e test proves the pairing (test/e2e/paired-rules.test.ts runs every scenario). */
  verify: ScenarioVerify;
  /** What it will do, one step per line, for the confirmation text. */
  plan(opts: ChaosOptions, host: HostFacts): string[];
  run(opts: ChaosOptions, ctx: ScenarioContext): Promise<ScenarioResult>;
}
