import { afterEach, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BearerAuth, readTokenFile, TokenFileError } from '../../../src/daemon/auth.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'kerno-test-auth-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function tokenFile(content: string, mode = 0o600): string {
  const p = join(dir, 'token');
  writeFileSync(p, content);
  chmodSync(p, mode);
  return p;
}

describe('readTokenFile', () => {
  test('first line, trimmed', () => {
    assert.equal(readTokenFile(tokenFile('s3cret\n')).token, 's3cret');
    assert.equal(readTokenFile(tokenFile('  abc  \r\nignored\n')).token, 'abc');
  });

  test('empty, whitespace-only, missing and spaced tokens are errors naming the file', () => {
    assert.throws(
      () => readTokenFile(tokenFile('\n')),
      (e: Error) => e instanceof TokenFileError && /is empty/.test(e.message),
    );
    assert.throws(() => readTokenFile(join(dir, 'nope')), /cannot read: ENOENT/);
    assert.throws(() => readTokenFile(tokenFile('two words')), /contains whitespace/);
  });

  test('warns when every user can read the token', () => {
    assert.match(readTokenFile(tokenFile('t', 0o644)).warning!, /readable by every user/);
    assert.equal(readTokenFile(tokenFile('t', 0o600)).warning, undefined);
  });
});

describe('BearerAuth', () => {
  test('off without a file: everything passes', () => {
    const a = new BearerAuth(undefined);
    assert.equal(a.enabled, false);
    assert.equal(a.check(undefined), 'ok');
  });

  test('missing, malformed, wrong and right tokens', () => {
    const a = new BearerAuth(tokenFile('right-token'));
    assert.equal(a.enabled, true);
    assert.equal(a.check(undefined), 'missing');
    assert.equal(a.check('Basic dXNlcjpwYXNz'), 'missing');
    assert.equal(a.check('Bearer'), 'missing');
    assert.equal(a.check('Bearer wrong-token'), 'invalid');
    assert.equal(a.check('Bearer right-token-and-more'), 'invalid');
    assert.equal(a.check('Bearer right'), 'invalid');
    assert.equal(a.check('Bearer right-token'), 'ok');
    assert.equal(a.check('bearer   right-token '), 'ok', 'scheme is case-insensitive (RFC 7235)');
  });

  test('reload rotates the token; a failed reload keeps the old one in force', () => {
    const file = tokenFile('old');
    const a = new BearerAuth(file);
    writeFileSync(file, 'new\n');
    a.load(file);
    assert.equal(a.check('Bearer old'), 'invalid');
    assert.equal(a.check('Bearer new'), 'ok');
    writeFileSync(file, '');
    assert.throws(() => a.load(file), /is empty/);
    assert.equal(a.check('Bearer new'), 'ok');
    assert.equal(a.enabled, true);
  });
});
