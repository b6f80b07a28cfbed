// Builds (once per run) and drives the C syscall workload in test/fixtures/workloads/syscalls.c.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { once } from 'node:events';
import { packageRoot } from '../../src/bpf/paths.js';

export function workloadBinary(): string {
  const src = join(packageRoot(), 'test', 'fixtures', 'workloads', 'syscalls.c');
  const dir = join(packageRoot(), 'build', 'test');
  const bin = join(dir, 'syscalls');
  if (!existsSync(bin) || statSync(bin).mtimeMs < statSync(src).mtimeMs) {
    mkdirSync(dir, { recursive: true });
    execFileSync('cc', ['-O2', '-o', bin, src]);
  }
  return bin;
}

export interface Workload {
  child: ChildProcess;
  pid: number;
  /** Starts the calls and resolves when the child reports it made them all. */
  run(): Promise<void>;
  /** Lets the child exit and waits for it. */
  finish(): Promise<void>;
}

export function startWorkload(args: string[]): Workload {
  const child = spawn(workloadBinary(), args, { stdio: ['pipe', 'pipe', 'inherit'] });
  return {
    child,
    pid: child.pid!,
    async run() {
      child.stdin!.write('go\n');
      let out = '';
      while (!out.includes('done')) {
        const [chunk] = (await once(child.stdout!, 'data')) as [Buffer];
        out += chunk.toString();
      }
    },
    async finish() {
      if (child.exitCode !== null) return;
      const exited = once(child, 'exit');
      child.stdin!.end();
      await exited;
    },
  };
}
