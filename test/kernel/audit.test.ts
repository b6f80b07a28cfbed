// `kerno audit files` end to end (the real CLI, fanotify, -o json) against ground truth: a child process
// named by the test performs a known list of file operations in a kerno-test directory, and the stream
// must be exactly those operations, each with that child's pid and name; a second process working in an
// unwatched directory must be absent. Also: --sensitive and `cat /etc/passwd`, `| head -n 2`, SIGINT,
// missing paths, and the names of processes already reaped when their event is read.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireKernel } from '../helpers/kernel.js';
import { REPO, cleanEnv, spawnKerno, stderrLines } from '../unit/cli/helpers.js';
import { SENSITIVE_PATHS } from '../../src/audit/files.js';
import { ExitedComms } from '../../src/audit/comm.js';
import { NO_PATHS } from '../../src/cli/audit-cmd.js';
import type { AuditEvent } from '../../src/audit/events.js';

before(() => requireKernel());

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function tempDir(tag: string): string {
  const d = mkdtempSync(join(tmpdir(), `kerno-test-audit-${tag}-`));
  dirs.push(d);
  return d;
}

interface Audit {
  child: ChildProcess;
  events: AuditEvent[];
  attached: Promise<void>;
  exited: Promise<[number | null, string | null]>;
  stderr(): string;
}

function audit(args: string[]): Audit {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(REPO, 'bin', 'kerno.ts'), 'audit', 'files', ...args, '-o', 'json'],
    { cwd: REPO, env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const events: AuditEvent[] = [];
  let buf = '';
  child.stdout!.on('data', (d: Buffer) => {
    buf += d.toString();
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      events.push(JSON.parse(buf.slice(0, i)) as AuditEvent);
      buf = buf.slice(i + 1);
    }
  });
  let err = '';
  const attached = new Promise<void>((resolve, reject) => {
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      if (err.includes('kerno: auditing')) resolve();
    });
    child.once('exit', () => reject(new Error(`kerno audit exited before watching: ${err}`)));
  });
  attached.catch(() => {});
  const exited = once(child, 'exit') as Promise<[number | null, string | null]>;
  return { child, events, attached, exited, stderr: () => err };
}

async function until(cond: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
}

/** Runs a node script as a process named `title` (libuv sets the thread name: /proc/<pid>/comm). */
async function runNamed(title: string, script: string): Promise<number> {
  const child = spawn(process.execPath, ['-e', `process.title = ${JSON.stringify(title)};\n${script}`], {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const [code] = (await once(child, 'exit')) as [number | null];
  assert.equal(code, 0, `${title} failed`);
  return child.pid!;
}

const WRITES = 5;

test('a child’s known operations are the stream, exactly, with its pid and name; another process’s unwatched work is absent', async () => {
  const dir = tempDir('watched');
  const other = tempDir('unwatched');
  for (const f of ['a', 'b', 'd', 'f']) writeFileSync(join(dir, f), `${f}\n`);
  writeFileSync(join(other, 'x'), 'x\n');
  const a = audit(['--watch', dir]);
  await a.attached;
  const kid = await runNamed(
    'kerno-auditkid',
    `const fs = require('fs'), p = (f) => require('path').join(${JSON.stringify(dir)}, f);
     const fd = fs.openSync(p('a'), 'a');
     for (let i = 0; i < ${WRITES}; i++) fs.writeSync(fd, 'line ' + i + '\\n');
     fs.closeSync(fd);
     fs.readFileSync(p('b'));
     fs.closeSync(fs.openSync(p('c'), 'wx'));
     fs.unlinkSync(p('c'));
     fs.renameSync(p('d'), p('e'));
     fs.renameSync(p('f'), ${JSON.stringify(join(other, 'f-out'))});`,
  );
  const stranger = await runNamed(
    'kerno-auditoth',
    `const fs = require('fs'), p = require('path').join(${JSON.stringify(other)}, 'x');
     for (let i = 0; i < 20; i++) { fs.appendFileSync(p, 'y'); fs.readFileSync(p); }
     fs.renameSync(p, p + '2');`,
  );
  // Eleven distinct (op, path) pairs are expected; then a quiet half second for anything extra to show up.
  await until(() => new Set(a.events.map((e) => `${e.op} ${e.path}`)).size >= 11, 10_000);
  await new Promise((r) => setTimeout(r, 500));
  a.child.kill('SIGINT');
  const [code, signal] = await a.exited;
  assert.equal(signal, null);
  assert.equal(code, 0, a.stderr());

  const counts = new Map<string, number>();
  for (const e of a.events) counts.set(`${e.op} ${e.path}`, (counts.get(`${e.op} ${e.path}`) ?? 0) + 1);
  const modifies = counts.get(`modify ${join(dir, 'a')}`) ?? 0;
  counts.delete(`modify ${join(dir, 'a')}`);
  assert.deepEqual(
    Object.fromEntries([...counts].sort()),
    Object.fromEntries(
      [
        [`open ${join(dir, 'a')}`, 1],
        [`close_write ${join(dir, 'a')}`, 1],
        [`open ${join(dir, 'b')}`, 1],
        [`read ${join(dir, 'b')}`, 1],
        [`create ${join(dir, 'c')}`, 1],
        [`open ${join(dir, 'c')}`, 1],
        [`close_write ${join(dir, 'c')}`, 1],
        [`delete ${join(dir, 'c')}`, 1],
        [`rename ${join(dir, 'd')}`, 1],
        [`rename ${join(dir, 'f')}`, 1],
      ].sort(),
    ),
    JSON.stringify(a.events),
  );
  // fanotify merges identical events of one process on one file while they wait to be read: the five
  // writes are one to five modify lines, never more, never none.
  assert.ok(modifies >= 1 && modifies <= WRITES, `modify lines for ${WRITES} writes: ${modifies}`);
  console.log(`# ${WRITES} writes → ${modifies} modify line(s); ${a.events.length} events in all`);
  assert.equal(a.events.find((e) => e.path === join(dir, 'd'))?.to, join(dir, 'e'));
  // Out of the watched directory: the kernel names only the new directory's handle; kerno resolves it.
  assert.equal(a.events.find((e) => e.path === join(dir, 'f'))?.to, join(other, 'f-out'));
  for (const e of a.events) {
    assert.equal(e.pid, kid, JSON.stringify(e));
    assert.equal(e.comm, 'kerno-auditkid', JSON.stringify(e));
    assert.ok(!Number.isNaN(Date.parse(e.time)));
  }
  assert.ok(!a.events.some((e) => e.pid === stranger || e.path.startsWith(other)));
  assert.match(a.stderr(), /"summary":true,"events":\d+,"dropped":0/);
});

test('--sensitive: `cat /etc/passwd` is an open and a read by cat; each missing listed file is said once', async () => {
  const a = audit(['--sensitive']);
  await a.attached;
  const cat = spawn('cat', ['/etc/passwd'], { stdio: 'ignore' });
  await once(cat, 'exit');
  await until(() => a.events.filter((e) => e.pid === cat.pid).length >= 2, 10_000);
  a.child.kill('SIGINT');
  const [code] = await a.exited;
  assert.equal(code, 0, a.stderr());
  const mine = a.events.filter((e) => e.pid === cat.pid);
  assert.deepEqual(
    mine.map((e) => [e.op, e.path, e.comm]),
    [
      ['open', '/etc/passwd', 'cat'],
      ['read', '/etc/passwd', 'cat'],
    ],
  );
  const missing = SENSITIVE_PATHS.filter((p) => !existsSync(p));
  for (const p of SENSITIVE_PATHS) {
    const said = a
      .stderr()
      .split('\n')
      .filter((l) => l.startsWith(`kerno: warning: ${p}: `));
    assert.equal(said.length, missing.includes(p) ? 1 : 0, `${p}: ${a.stderr()}`);
  }
  assert.match(a.stderr(), new RegExp(`auditing ${SENSITIVE_PATHS.length - missing.length} paths`));
});

test('`| head -n 2`: two lines, then kerno ends quietly with exit code 0', async () => {
  const dir = tempDir('head');
  const head = spawn('head', ['-n', '2'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const headExited = once(head, 'exit');
  let got = '';
  head.stdout!.on('data', (d: Buffer) => (got += d.toString()));
  const k = spawn(
    process.execPath,
    ['--import', 'tsx', join(REPO, 'bin', 'kerno.ts'), 'audit', 'files', '--watch', dir, '-o', 'json'],
    { cwd: REPO, env: cleanEnv(), stdio: ['ignore', head.stdin!, 'pipe'] },
  );
  head.stdin!.destroy(); // only kerno holds the pipe's write end now
  let err = '';
  k.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = once(k, 'exit') as Promise<[number | null, string | null]>;
  await until(() => err.includes('kerno: auditing'), 30_000);
  let done = false;
  void exited.then(() => (done = true));
  // Writes until kerno notices the closed pipe (its first write after head left).
  for (let i = 0; i < 200 && !done; i++) {
    writeFileSync(join(dir, `f${i % 5}`), 'x');
    await new Promise((r) => setTimeout(r, 50));
  }
  const [code, signal] = await exited;
  await headExited;
  assert.equal(signal, null);
  assert.equal(code, 0, err);
  assert.equal(got.trim().split('\n').length, 2);
  assert.doesNotMatch(err, /Error|at .*\.ts:\d+/);
});

test('a missing path is reported once and the rest watched; none left is the one-line error, exit 1', async () => {
  const dir = tempDir('missing');
  const gone = join(dir, 'nope');
  const some = await spawnKerno([
    'audit',
    'files',
    '--watch',
    `${dir},${gone}`,
    '--duration',
    '1s',
    '-o',
    'json',
  ]);
  assert.equal(some.code, 0, some.stderr);
  assert.deepEqual(
    stderrLines(some).filter((l) => l.includes(gone)),
    [`kerno: warning: ${gone}: no such file or directory; not watched`],
  );
  assert.match(some.stderr, /auditing 1 path \(/);

  const none = await spawnKerno(['audit', 'files', '--watch', `${gone},${gone}2`]);
  assert.equal(none.code, 1, none.stderr);
  assert.deepEqual(stderrLines(none), [
    `kerno: warning: ${gone}: no such file or directory; not watched`,
    `kerno: warning: ${gone}2: no such file or directory; not watched`,
    `kerno: ${NO_PATHS}`,
  ]);
});

test('the name of a process already reaped comes from the exit map', async () => {
  const dir = tempDir('exit');
  const bin = join(dir, 'kerno-auditend');
  copyFileSync('/bin/true', bin);
  const comms = await ExitedComms.start();
  try {
    const r = spawnSync(bin);
    assert.equal(r.status, 0);
    assert.equal(comms.lookup(r.pid), 'kerno-auditend');
    assert.equal(comms.lookup(process.pid), null); // alive: never in the map
  } finally {
    comms.close();
  }
});

test('not root: one line and exit 4 (unprivileged fanotify would hide every pid)', async () => {
  const dir = tempDir('noroot');
  const o = await spawnKerno(['audit', 'files', '--watch', dir], {
    wrapper: ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'],
  });
  assert.equal(o.code, 4, o.stderr);
  assert.deepEqual(stderrLines(o).length, 1, o.stderr);
  assert.match(o.stderr, /^kerno: audit files needs root \(CAP_SYS_ADMIN\)/);
  assert.equal(o.stdout, '');
});
