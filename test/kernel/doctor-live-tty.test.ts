// `kerno doctor` in a real terminal: tmux (120×45) runs it from sources during a fork loop, and
// `tmux capture-pane` reads the screen as a person would. The live view's event counts must keep moving
// between two captures (they froze after the first frame before issue 18), and its styling must follow
// NO_COLOR and --no-color. tmux runs on its own kerno-named socket, killed by name; the fork loop is
// killed by its PID.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { requireKernel } from '../helpers/kernel.js';
import { REPO } from '../unit/cli/helpers.js';

before(() => requireKernel());

const SOCKET = `kerno-test-${process.pid}`;
const tmux = (...args: string[]): string =>
  execFileSync('tmux', ['-L', SOCKET, ...args], { encoding: 'utf8', cwd: REPO });
after(() => {
  try {
    tmux('kill-server');
  } catch {
    /* no server left */
  }
});
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Starts `env… node --import tsx bin/kerno.ts ARGS` in a detached 120×45 session; the pane stays after exit. */
function startDoctor(session: string, env: string, args: string): void {
  const cmd = `cd ${REPO} && env -u NO_COLOR -u FORCE_COLOR -u CI -u CONTINUOUS_INTEGRATION ${env} node --import tsx bin/kerno.ts ${args}; echo KERNO-EXIT=$?; sleep 600`;
  tmux('new-session', '-d', '-s', session, '-x', '120', '-y', '45', 'sh', '-c', cmd);
}

const capture = (session: string, escapes = false): string =>
  tmux('capture-pane', '-p', ...(escapes ? ['-e'] : []), '-t', session);

/** Polls the screen until `ok(screen)`; fails with the last screen after `ms`. */
async function screenWhen(session: string, ok: (s: string) => boolean, what: string, ms = 60_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const s = capture(session);
    if (ok(s)) return s;
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}; screen:\n${s}`);
    await sleep(100);
  }
}

const elapsed = (s: string): number => Number(/· (\d+)s elapsed/.exec(s)?.[1] ?? -1);
const totalEvents = (s: string): number =>
  Number((/· ([\d,]+) events?/.exec(s)?.[1] ?? '-1').replace(/,/g, ''));
const rowEvents = (s: string, name: string): number =>
  Number((new RegExp(`${name}\\s+attached\\s+([\\d,]+)`).exec(s)?.[1] ?? '-1').replace(/,/g, ''));

test('doctor --duration 8s in tmux during a fork loop: the counts move between ~3 s and ~6 s', async (t) => {
  const loop = spawn('/bin/sh', ['-c', 'while :; do /bin/true; done'], { stdio: 'ignore' });
  try {
    startDoctor('live', '', 'doctor --duration 8s');
    const at3 = await screenWhen('live', (s) => elapsed(s) >= 3, 'the live view at 3 s');
    const at6 = await screenWhen('live', (s) => elapsed(s) >= 6, 'the live view at 6 s');
    t.diagnostic(`at ~3 s:\n${at3}\nat ~6 s:\n${at6}`);
    assert.ok(totalEvents(at6) > totalEvents(at3), `events ${totalEvents(at3)} → ${totalEvents(at6)}`);
    for (const name of ['syscall', 'sched', 'fd'])
      assert.ok(
        rowEvents(at6, name) > rowEvents(at3, name),
        `${name}: ${rowEvents(at3, name)} → ${rowEvents(at6, name)}`,
      );
    // The top offenders are on screen beside the counts.
    assert.match(at6, /syscall\s+attached\s+[\d,]+\s+slowest \S+ · .+ \(\d+\) [\d.]+(ns|µs|ms|s)/);
    assert.match(at6, /sched\s+attached\s+[\d,]+\s+longest wait .+ \(\d+\) [\d.]+(ns|µs|ms|s)/);
    const end = await screenWhen('live', (s) => s.includes('KERNO-EXIT='), 'doctor to exit');
    assert.match(end, /KERNO-EXIT=0/);
    assert.match(end, /SYSTEM SUMMARY/);
  } finally {
    loop.kill('SIGKILL');
  }
});

// ESC [ … m: colour, bold or dim.
const SGR = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`);

test('the live view is styled in a terminal, and plain with NO_COLOR=1 or --no-color', async () => {
  const runs: [string, string, string][] = [
    ['colour', '', 'doctor --duration 4s'],
    ['nocolor-env', 'NO_COLOR=1', 'doctor --duration 4s'],
    ['nocolor-flag', '', '--no-color doctor --duration 4s'],
  ];
  for (const [session, env, args] of runs) startDoctor(session, env, args);
  for (const [session] of runs) {
    await screenWhen(session, (s) => elapsed(s) >= 1, `${session}: the live view`);
    const styled = capture(session, true);
    if (session === 'colour') assert.match(styled, SGR, 'colour on a terminal');
    else assert.doesNotMatch(styled, SGR, `${session}: no escapes in the live view`);
  }
  for (const [session] of runs) {
    const end = await screenWhen(session, (s) => s.includes('KERNO-EXIT='), `${session}: exit`);
    assert.match(end, /KERNO-EXIT=0/);
    if (session !== 'colour')
      assert.doesNotMatch(capture(session, true), SGR, `${session}: no escapes in the report`);
  }
});
