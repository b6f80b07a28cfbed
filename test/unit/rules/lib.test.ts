import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { minSamplesAtOrAbove, slowEnough } from '../../../rules/lib/percentiles.js';
import { cgroupDir, findCgroup } from '../../../rules/lib/cgroup.js';
import { sh } from '../../../rules/lib/shell.js';
import { errnoClass, errorBreakdown } from '../../../rules/lib/syscalls.js';
import { cgroupEntry, pctl, syscallEntry } from './fixtures.js';

describe('percentile lower bound on slow samples', () => {
  it('derives count − ceil(count·q) + 1 from the highest percentile at or above the threshold', () => {
    assert.equal(minSamplesAtOrAbove(pctl(100, 1, 2, 10), 10), 2); // p99 rank 99
    assert.equal(minSamplesAtOrAbove(pctl(1000, 1, 10, 10), 10), 51); // p95 rank 950
    assert.equal(minSamplesAtOrAbove(pctl(10, 10, 10, 10), 10), 6); // p50 rank 5
    assert.equal(minSamplesAtOrAbove(pctl(10, 1, 1, 1, 10), 10), 1); // only the max
    assert.equal(minSamplesAtOrAbove(pctl(10, 1, 1, 1, 9), 10), 0);
    assert.equal(minSamplesAtOrAbove(pctl(0, 0, 0, 0), 0), 0);
  });

  it('slowEnough needs p99 ≥ threshold and the bound', () => {
    assert.equal(slowEnough(pctl(1000, 1, 2, 10), 10, 11), true);
    assert.equal(slowEnough(pctl(1000, 1, 2, 10), 10, 12), false);
    assert.equal(slowEnough(pctl(1000, 1, 2, 9, 100), 10, 1), false);
  });
});

describe('cgroup paths', () => {
  it('joins relative paths to the root of the right hierarchy', () => {
    assert.equal(cgroupDir('/sys/fs/cgroup/memory', 1, '/a/b'), '/sys/fs/cgroup/memory/a/b');
    assert.equal(cgroupDir(undefined, 1, '/a'), '/sys/fs/cgroup/memory/a');
    assert.equal(cgroupDir(undefined, 2, '/a'), '/sys/fs/cgroup/a');
    assert.equal(cgroupDir('/sys/fs/cgroup/memory', 2, '/a'), '/sys/fs/cgroup/a');
    assert.equal(cgroupDir('/sys/fs/cgroup/', 1, 'a'), '/sys/fs/cgroup/memory/a');
    assert.equal(
      cgroupDir('/tmp/kerno-chaos-cgroup', 2, '/tmp/kerno-chaos-cgroup/kubepods/x'),
      '/tmp/kerno-chaos-cgroup/kubepods/x',
    );
    assert.equal(
      cgroupDir('/tmp/kerno-chaos-cgroup', 2, '/kubepods/x'),
      '/tmp/kerno-chaos-cgroup/kubepods/x',
    );
    assert.equal(cgroupDir('/x', 2, '/sys/fs/cgroup/abs'), '/sys/fs/cgroup/abs');
    // Hybrid host: the collector reports both roots.
    const both = '/sys/fs/cgroup/unified, /sys/fs/cgroup/memory';
    assert.equal(cgroupDir(both, 1, '/a'), '/sys/fs/cgroup/memory/a');
    assert.equal(cgroupDir(both, 2, '/a'), '/sys/fs/cgroup/unified/a');
    assert.equal(cgroupDir('/sys/fs/cgroup', 2, '/'), '/sys/fs/cgroup');
  });

  it('finds a cgroup entry by exact or boundary-suffix path only', () => {
    const cm = {
      root: '/sys/fs/cgroup/memory',
      containers: [cgroupEntry({ cgroupPath: '/sys/fs/cgroup/memory/kerno-test/app' })],
    };
    assert.ok(findCgroup(cm, '/kerno-test/app'));
    assert.equal(findCgroup(cm, '/app2'), undefined);
    assert.equal(findCgroup(cm, ''), undefined);
    assert.equal(findCgroup(cm, '/'), undefined);
  });
});

describe('shell quoting', () => {
  it('leaves safe words alone and single-quotes the rest', () => {
    assert.equal(sh('nginx'), 'nginx');
    assert.equal(sh('/sys/fs/cgroup/system.slice/a.service'), '/sys/fs/cgroup/system.slice/a.service');
    assert.equal(sh('Web Content'), `'Web Content'`);
    assert.equal(sh(`it's`), `'it'\\''s'`);
    assert.equal(
      sh('/sys/fs/cgroup/system.slice/dev-disk-by\\x2duuid.swap'),
      `'/sys/fs/cgroup/system.slice/dev-disk-by\\x2duuid.swap'`,
    );
    assert.equal(sh(''), `''`);
  });
});

describe('errno classification', () => {
  it('judges an errno by what it means, whatever the syscall', () => {
    for (const e of [111, 104, 110, 113, 32, 5, 28, 122, 24, 23, 12, 13, 1, 30, 116])
      assert.equal(errnoClass(e), 'failure', `errno ${e}`);
    // EAGAIN, EINTR, EINPROGRESS, ERESTARTSYS, ENOENT, ESPIPE, ENOTTY, ENOSYS, EEXIST, EAFNOSUPPORT
    for (const e of [11, 4, 115, 512, 2, 29, 25, 38, 17, 97])
      assert.equal(errnoClass(e), 'answer', `errno ${e}`);
    // EINVAL, EBADF, EFAULT, EBUSY, EADDRINUSE
    for (const e of [22, 9, 14, 16, 98]) assert.equal(errnoClass(e), 'other', `errno ${e}`);
  });

  it('an errno a syscall documents as its answer is an answer there only', () => {
    assert.equal(errnoClass(22, 'readlink'), 'answer'); // EINVAL: not a symlink (realpath walking a path)
    assert.equal(errnoClass(22, 'write'), 'other');
    assert.equal(errnoClass(13, 'faccessat2'), 'answer'); // access() exists to ask "may I?"
    assert.equal(errnoClass(13, 'openat'), 'failure');
    assert.equal(errnoClass(9, 'fcntl'), 'answer'); // F_GETFD: is this descriptor open?
    assert.equal(errnoClass(9, 'read'), 'other');
    assert.equal(errnoClass(1, 'epoll_ctl'), 'answer'); // a regular file cannot be polled (Go's netpoller)
    assert.equal(errnoClass(1, 'openat'), 'failure');
  });

  it('splits errors into classes; errors not itemised are other (unknown is not benign)', () => {
    const b = errorBreakdown(
      syscallEntry({
        name: 'read',
        errors: 100,
        errnos: [
          { errno: 11, name: 'EAGAIN', count: 60 },
          { errno: 5, name: 'EIO', count: 20 },
          { errno: 9, name: 'EBADF', count: 5 },
        ],
      }),
    );
    assert.equal(b.failures, 20);
    assert.equal(b.answers, 60);
    assert.equal(b.other, 20);
    assert.deepEqual(
      b.failing.map((x) => x.name),
      ['EIO'],
    );
    assert.deepEqual(
      b.answering.map((x) => x.name),
      ['EAGAIN'],
    );
    assert.deepEqual(
      b.otherErrnos.map((x) => x.name),
      ['EBADF'],
    );
  });
});
