import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLogger } from '../../../src/runtime/log.js';
import { demotePermissionWarnings, isPermissionFailure } from '../../../src/cli/privilege-log.js';

test('permission failures are demoted to debug; other warnings and errors pass', () => {
  const lines: string[] = [];
  const base = createLogger({ level: 'info', format: 'json', write: (l) => lines.push(l) });
  const log = demotePermissionWarnings(base).child({ collector: 'tcp' });
  log.warn('collector failed to start', {
    error: 'tcp: load tcp: Operation not permitted',
    errorKind: 'permission',
  });
  log.warn('kernel collector: /dev/kmsg unavailable', {
    error: 'open /dev/kmsg: EPERM: operation not permitted',
  });
  log.warn('ring buffer overflow', { dropped: 3 });
  log.error('load failed', { error: 'EPERM' });
  assert.deepEqual(
    lines.map((l) => (JSON.parse(l) as { msg: string }).msg),
    ['ring buffer overflow', 'load failed'],
  );
  const debug: string[] = [];
  const verbose = demotePermissionWarnings(createLogger({ level: 'debug', write: (l) => debug.push(l) }));
  verbose.warn('collector failed to start', { errorKind: 'permission' });
  assert.equal((JSON.parse(debug[0]!) as { level: string }).level, 'debug', 'still visible with -v');
});

test('isPermissionFailure', () => {
  assert.equal(isPermissionFailure({ errorKind: 'permission' }), true);
  assert.equal(isPermissionFailure({ error: 'open: EACCES (permission denied)' }), true);
  assert.equal(isPermissionFailure({ error: 'verifier rejected program' }), false);
  assert.equal(isPermissionFailure(undefined), false);
});
