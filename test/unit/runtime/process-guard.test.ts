import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { fileURLToPath } from 'node:url';
import { installCrashHandlers } from '../../../src/runtime/process-guard.js';
import { EXIT } from '../../../src/cli/io.js';

const fixture = fileURLToPath(new URL('../../fixtures/runtime/crash.ts', import.meta.url));

function runFixture(mode: string) {
  const res = spawnSync(process.execPath, ['--import', 'tsx', fixture, mode], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: res.status, stdout: res.stdout, lines: res.stderr.split('\n').filter((l) => l !== '') };
}

for (const [mode, kind, message] of [
  ['throw', 'uncaughtException', 'boom from a timer'],
  ['reject', 'unhandledRejection', 'nobody handled me'],
  ['reject-non-error', 'unhandledRejection', 'a bare string'],
  ['double', 'uncaughtException', 'first'],
] as const) {
  test(`crash (${mode}): exactly one crash-record line on stderr, then a non-zero exit`, () => {
    const { code, lines } = runFixture(mode);
    assert.equal(code, EXIT.INTERNAL);
    assert.notEqual(code, 0);
    assert.equal(lines.length, 1, `stderr: ${lines.join('\n')}`);
    const rec = JSON.parse(lines[0]!) as Record<string, unknown>;
    assert.deepEqual(
      Object.keys(rec).filter((k) => k !== 'stack'),
      ['time', 'kind', 'message', 'version'],
    );
    assert.equal(rec.kind, kind);
    assert.equal(rec.message, message);
    assert.equal(rec.version, '9.9.9-test');
    assert.ok(!Number.isNaN(Date.parse(String(rec.time))));
    if (mode === 'reject-non-error') assert.equal(rec.stack, undefined);
    else assert.match(String(rec.stack), new RegExp(`${message}\\n\\s+at `));
  });
}

test('no crash: the handlers stay silent', () => {
  const { code, stdout, lines } = runFixture('none');
  assert.equal(code, 0);
  assert.equal(stdout, 'ok\n');
  assert.deepEqual(lines, []);
});

test('installCrashHandlers in-process: injected write/exit, uninstall removes the listeners', () => {
  const target = new EventEmitter();
  const lines: string[] = [];
  const codes: number[] = [];
  const uninstall = installCrashHandlers({
    version: '1',
    write: (l) => lines.push(l),
    exit: (c) => codes.push(c),
    exitCode: 70,
    target,
    now: () => new Date(0),
  });
  target.emit('unhandledRejection', new Error('x'));
  target.emit('uncaughtException', new Error('y'));
  assert.equal(lines.length, 1);
  assert.deepEqual(codes, [70]);
  assert.equal((JSON.parse(lines[0]!) as { time: string }).time, '1970-01-01T00:00:00.000Z');
  uninstall();
  assert.equal(target.listenerCount('uncaughtException'), 0);
  assert.equal(target.listenerCount('unhandledRejection'), 0);
});
