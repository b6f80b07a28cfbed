// One chaos run: its id, its state file, its workers, and the single cleanup path that removes all of it.
import { randomBytes } from 'node:crypto';
import { describeResource, nftTableName, resourceName, vethNames, type ChaosResource } from './names.js';
import { activeRuns, ownerIdentity, removeStateFile, writeState, type RunState } from './journal.js';
import { removeResources } from './removers.js';
import { WorkerProcess, type WorkerSpec } from './worker.js';

export function newRunId(): string {
  return randomBytes(4).toString('hex');
}

export class ChaosSession {
  readonly id: string;
  /** Monotonic ms (performance.now) at which every workload of this run must be finished. */
  readonly deadline: number;
  private readonly state: RunState;
  private readonly workers = new Set<WorkerProcess>();
  private closed = false;

  constructor(
    scenario: string,
    durationNs: number,
    private readonly bin: string,
    id: string = newRunId(),
  ) {
    this.id = id;
    this.deadline = performance.now() + durationNs / 1e6;
    this.state = {
      version: 1,
      id,
      scenario,
      owner: ownerIdentity(),
      createdAt: new Date().toISOString(),
      resources: [],
    };
    activeRuns.add(id);
    writeState(this.state);
  }

  /** kerno-chaos-<id> or kerno-chaos-<tag>-<id>. */
  name(tag?: string): string {
    return resourceName(this.id, tag);
  }

  get nftTable(): string {
    return nftTableName(this.id);
  }

  get veth(): { host: string; peer: string } {
    return vethNames(this.id);
  }

  get resources(): readonly ChaosResource[] {
    return this.state.resources;
  }

  /** Records a resource BEFORE it is created, so a kill between the two still leaves it listed. */
  register(resource: ChaosResource): void {
    if (this.closed)
      throw new Error(`chaos run ${this.id} is closed: not creating ${describeResource(resource)}`);
    this.state.resources.push(resource);
    writeState(this.state);
  }

  private forget(pid: number): void {
    const i = this.state.resources.findIndex((r) => r.kind === 'process' && r.pid === pid);
    if (i >= 0) {
      this.state.resources.splice(i, 1);
      if (!this.closed) writeState(this.state);
    }
  }

  /** Remaining time until the deadline, ms (≥ 0). */
  remainingMs(): number {
    return Math.max(0, this.deadline - performance.now());
  }

  /** Starts a workload; its lifetime is capped at the run's deadline plus a grace period. */
  startWorker(spec: Omit<WorkerSpec, 'durationMs'> & { durationMs?: number }): WorkerProcess {
    if (this.closed) throw new Error(`chaos run ${this.id} is closed`);
    // The worker's own limit is a backstop if kerno hangs; normally the session stops it at the deadline.
    const durationMs = (spec.durationMs ?? this.remainingMs()) + 10_000;
    return this.track(WorkerProcess.start(this.bin, { ...spec, durationMs }));
  }

  private track(w: WorkerProcess): WorkerProcess {
    this.workers.add(w);
    this.register({ kind: 'process', pid: w.pid, startTime: w.startTime, comm: w.comm });
    void w.exited.then(() => {
      this.workers.delete(w);
      this.forget(w.pid);
    });
    return w;
  }

  /** Starts another program (stress-ng) as a workload, tracked and stopped like the C worker. */
  startCommand(cmd: string, argv: string[], comm: string): WorkerProcess {
    if (this.closed) throw new Error(`chaos run ${this.id} is closed`);
    return this.track(WorkerProcess.launch(cmd, argv, comm));
  }

  /**
   * Waits until the deadline (or `untilMs` from now, if sooner), an abort, or — when given — one of
   * `watch` exiting. Returns why it woke up.
   */
  async wait(
    signal: AbortSignal,
    opts: { untilMs?: number; watch?: WorkerProcess[] } = {},
  ): Promise<'deadline' | 'aborted' | 'exited'> {
    if (signal.aborted) return 'aborted';
    const ms = Math.min(this.remainingMs(), opts.untilMs ?? Infinity);
    return new Promise((resolveWait) => {
      let done = false;
      const finish = (why: 'deadline' | 'aborted' | 'exited') => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        resolveWait(why);
      };
      const onAbort = () => finish('aborted');
      const timer = setTimeout(() => finish('deadline'), ms);
      signal.addEventListener('abort', onAbort, { once: true });
      for (const w of opts.watch ?? []) void w.exited.then(() => finish('exited'));
    });
  }

  /** Stops every worker still running (SIGTERM, then SIGKILL). */
  async stopWorkers(): Promise<void> {
    await Promise.all([...this.workers].map((w) => w.stop()));
  }

  /** The one cleanup path: stop workers, remove every registered resource, drop the state file. */
  async close(log?: (line: string) => void): Promise<{ removed: string[]; failed: string[] }> {
    if (this.closed) return { removed: [], failed: [] };
    await this.stopWorkers();
    this.closed = true;
    const result = await removeResources(this.state.resources, log);
    if (result.failed.length === 0) {
      removeStateFile(this.id);
    } else {
      // Keep the list: the next run's cleanupStale() retries (this process no longer counts as its owner).
      writeState(this.state);
    }
    activeRuns.delete(this.id);
    return result;
  }
}
