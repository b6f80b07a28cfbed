// fd-leak → fd_leak: a child that opens files (openat) and sockets at a steady rate and never closes them.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { byIntensity } from '../options.js';
import { num } from '../worker.js';
import type { ChaosOptions, HostFacts, Intensity, Scenario } from '../types.js';
import { elapsedSince, holdUntilEnd, newResult, runsFor } from './common.js';
import { isProcess, processes } from '../match.js';

const RULES = ['fd_leak'] as const;
/** Every 5th descriptor is a socket: leaks in real services are often connections, not just files. */
const SOCKET_EVERY = 5;

export function fdLeakRate(intensity: Intensity): number {
  return byIntensity(intensity, { low: 50, medium: 200, high: 500 });
}

export const fdLeakScenario: Scenario = {
  name: 'fd-leak',
  rules: RULES,
  description: 'a child opening files and sockets without ever closing them',
  needsRoot: false,
  plan(opts: ChaosOptions, host: HostFacts): string[] {
    const rate = fdLeakRate(opts.intensity);
    return [
      `create directory ${join(host.scratchDir, 'kerno-chaos-fd-<id>')} with one file to open`,
      `start one process (kchaos-fdleak) that opens ${rate} descriptors per second and never closes them (every ${SOCKET_EVERY}th is a TCP socket, the rest openat() of the file)`,
      'its soft RLIMIT_NOFILE is raised to the hard limit; if that is reached it stops opening and holds what it has',
      runsFor(opts),
    ];
  },
  async run(opts, ctx) {
    const start = performance.now();
    const result = newResult('fd-leak', RULES, opts, ctx);
    const rate = fdLeakRate(opts.intensity);
    const dir = join(ctx.host.scratchDir, ctx.session.name('fd'));
    ctx.session.register({ kind: 'path', path: dir });
    mkdirSync(dir);
    const w = ctx.session.startWorker({
      mode: 'fd-leak',
      comm: 'kchaos-fdleak',
      args: { rate, 'socket-every': SOCKET_EVERY, file: join(dir, 'leak-target') },
    });
    const ready = await w.ready();
    const subject = { kind: 'process', pid: w.pid, comm: 'kchaos-fdleak' } as const;
    result.subjects.push(subject);
    ctx.onSubject(subject);
    ctx.log(`    pid ${w.pid}: leaking ${rate} descriptors/s (limit ${num(ready, 'fdLimit')})`);
    result.aborted = await holdUntilEnd(ctx, [w]);
    const done = (await w.stop()).done;
    result.elapsedNs = elapsedSince(start);
    const secs = num(done, 'seconds');
    result.observed = {
      targetRatePerSec: rate,
      opened: num(done, 'opened'),
      files: num(done, 'files'),
      sockets: num(done, 'sockets'),
      fdLimit: num(ready, 'fdLimit'),
      ratePerSec: secs > 0 ? Math.round((num(done, 'opened') / secs) * 10) / 10 : 0,
    };
    if (done?.exhausted === true)
      result.notes.push(`descriptor limit reached after ${num(done, 'opened')} opens; held from then on`);
    return result;
  },
  verify: {
    intensity: 'low',
    seconds: 30,
    settleMs: 2000,
    ready: {
      'kerno-worker': isProcess('kchaos-fdleak'),
    },
    match: {
      fd_leak(f, subjects) {
        const p = processes(subjects).find((s) => s.pid === f.pid);
        if (p === undefined)
          return `pid ${f.pid} is not the scenario's (${processes(subjects)
            .map((s) => s.pid)
            .join(', ')})`;
        if (f.process !== p.comm) return `process "${f.process}" is not "${p.comm}"`;
        return undefined;
      },
    },
  },
};
