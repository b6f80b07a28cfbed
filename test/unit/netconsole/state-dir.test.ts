// State directory checks (issue 15 item 8): each bad directory is one line naming it and the reason.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { prepareStateDir, StateDirError } from '../../../src/netconsole/state-dir.js';

test('bad state directories: one line each, nothing created', async () => {
  const root = mkdtempSync(join(tmpdir(), 'kerno-test-statedir-'));
  try {
    const file = join(root, 'file');
    writeFileSync(file, 'x');
    const cases: { dir: string; want: RegExp }[] = [
      { dir: '/proc/sys/kerno', want: /\/proc\/sys is on procfs, not a filesystem that can hold files/ },
      { dir: '/proc/kerno/a/b', want: /\/proc is on procfs/ },
      { dir: '/sys/kernel/kerno', want: /is on sysfs/ },
      { dir: file, want: /: not a directory$/ },
      { dir: join(file, 'sub'), want: /is not a directory|ENOTDIR/ },
      { dir: '', want: /empty path/ },
    ];
    for (const c of cases) {
      await assert.rejects(prepareStateDir(c.dir), (e: unknown) => {
        assert.ok(e instanceof StateDirError, String(e));
        assert.match(e.message, c.want, c.dir);
        assert.ok(e.message.startsWith(`state directory ${JSON.stringify(c.dir)}: `));
        assert.ok(!e.message.includes('\n'));
        return true;
      });
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('a missing state directory is created level by level, 0700', async () => {
  const root = mkdtempSync(join(tmpdir(), 'kerno-test-statedir-'));
  try {
    const dir = join(root, 'a', 'b');
    assert.equal(await prepareStateDir(dir), dir);
    assert.equal(statSync(dir).mode & 0o777, 0o700);
    assert.equal(statSync(join(root, 'a')).mode & 0o777, 0o700);
    assert.equal(await prepareStateDir(dir), dir, 'an existing one is fine');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
