// Kernel health from a real kernel event, run INSIDE a kernels-phase guest: a writer blocked on a frozen
// filesystem (fsfreeze on the guest's scratch ext4 at /var/tmp) sits in D state until the kernel's
// hung-task detector reports it; `kerno doctor` must pair that with kernel_hung_task naming the task.
// hung_task_timeout_secs is lowered to 2 s for the test and restored after. It freezes a filesystem, so it
// never runs on the host (scripts/verify.sh runs it only in guests).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { closeSync, constants, openSync, readFileSync, readSync, statSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { join } from 'node:path';
import { packageRoot } from '../../../src/bpf/paths.js';

const SCRATCH = '/var/tmp';
const TIMEOUT = '/proc/sys/kernel/hung_task_timeout_secs';
const kerno = join(packageRoot(), 'bin', 'kerno');

interface Finding {
  rule: string;
  severity: string;
  subject: string;
  evidence: string[];
}

/** Ground truth, independent of kerno: the kernel log lines now in the ring buffer. */
function kernelLog(): string[] {
  const fd = openSync('/dev/kmsg', constants.O_RDONLY | constants.O_NONBLOCK);
  const buf = Buffer.alloc(16 * 1024);
  const lines: string[] = [];
  try {
    for (;;) {
      try {
        const n = readSync(fd, buf, 0, buf.length, null);
        lines.push(buf.toString('utf8', 0, n).split(';').slice(1).join(';').split('\n')[0]!);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'EPIPE') continue;
        if (code === 'EAGAIN') return lines;
        throw err;
      }
    }
  } finally {
    closeSync(fd);
  }
}

test('a writer on a frozen filesystem → the hung-task report → kernel_hung_task names the task', async () => {
  assert.notEqual(statSync(SCRATCH).dev, statSync('/').dev, `${SCRATCH} is the guest's own scratch disk`);
  const oldTimeout = readFileSync(TIMEOUT, 'utf8').trim();
  writeFileSync(TIMEOUT, '2');
  execFileSync('fsfreeze', ['-f', SCRATCH]);
  let frozen = true;
  const writer = spawn(
    'dd',
    ['if=/dev/zero', `of=${SCRATCH}/kerno-hung-${process.pid}`, 'bs=4k', 'count=1'],
    {
      stdio: 'ignore',
    },
  );
  const exited = once(writer, 'exit');
  try {
    await new Promise((r) => setTimeout(r, 1000));
    assert.match(
      readFileSync(`/proc/${writer.pid}/status`, 'utf8'),
      /^State:\s+D/m,
      'the writer is in D state',
    );
    const out = execFileSync(kerno, ['doctor', '-d', '8s', '-o', 'json'], {
      encoding: 'utf8',
      maxBuffer: 64 << 20,
    });
    const report = JSON.parse(out) as { findings: Finding[] };
    const line = `INFO: task dd:${writer.pid} blocked for more than`;
    assert.ok(
      kernelLog().some((l) => l.startsWith(line)),
      `the kernel reported it: "${line} …" in /dev/kmsg`,
    );
    const f = report.findings.find((x) => x.rule === 'kernel_hung_task');
    assert.ok(f, `kernel_hung_task among ${JSON.stringify(report.findings.map((x) => [x.rule, x.subject]))}`);
    assert.equal(f.subject, `dd (pid ${writer.pid})`);
    assert.equal(f.severity, 'warning');
    assert.match(f.evidence.join('\n'), /Call Trace:/, 'the report carries the blocked stack');
    execFileSync('fsfreeze', ['-u', SCRATCH]);
    frozen = false;
    await exited;
    assert.equal(writer.exitCode, 0, 'the writer finishes once the filesystem thaws');
  } finally {
    if (frozen) execFileSync('fsfreeze', ['-u', SCRATCH]);
    writeFileSync(TIMEOUT, oldTimeout);
  }
});
