// Bad input, as a user meets it: the real entry point in a child process. Each mistake must end in the
// documented exit code (docs/exit-codes.md) and exactly one stderr line that names the problem, never a
// stack trace. All of these fail before any BPF program is loaded, so they need no root.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cleanEnv, REPO, spawnKerno, stderrLines, tempDir, type Outcome } from './helpers.js';

const dir = tempDir('cli-bad-input');
let env: NodeJS.ProcessEnv;
let invalidYaml: string;
let invalidValue: string;
let unknownKey: string;

before(() => {
  // A HOME of our own: a developer's ~/.config/kerno/config.yaml must not change the outcome.
  env = cleanEnv({ HOME: dir.path });
  invalidYaml = dir.file('invalid.yaml', 'doctor:\n  duration: [10s\n');
  invalidValue = dir.file('invalid-value.yaml', 'doctor:\n  duration: 10m\n');
  unknownKey = dir.file('unknown-key.yaml', 'doctr:\n  duration: 10s\n');
});
after(() => dir.remove());

const kerno = (...args: string[]): Promise<Outcome> => spawnKerno(args, { env, timeoutMs: 60_000 });

/** The contract of every error: this exit code, one stderr line matching `pattern`, no stack trace. */
function assertOneLineError(o: Outcome, code: number, pattern: RegExp): void {
  const lines = stderrLines(o);
  assert.equal(o.code, code, `exit code (stderr: ${o.stderr})`);
  assert.doesNotMatch(o.stderr, /^\s+at /m, 'no stack trace');
  assert.equal(lines.length, 1, `exactly one stderr line, got:\n${o.stderr}`);
  assert.match(lines[0]!, /^kerno: /);
  assert.match(lines[0]!, pattern);
  assert.equal(o.stdout, '', 'nothing on stdout');
}

// Two at a time: each case is a node start-up (~1 s), and the machine has 2 CPUs.
describe('bad input: exit code and one stderr line', { concurrency: 2 }, () => {
  test('unknown root flag → 2', async () => {
    assertOneLineError(await kerno('--bogus'), 2, /unknown option '--bogus'/);
  });
  test('unknown command flag → 2', async () => {
    assertOneLineError(await kerno('doctor', '--bogus'), 2, /unknown option '--bogus'/);
  });
  test('unknown command → 2', async () => {
    assertOneLineError(await kerno('nope'), 2, /unknown command 'nope'/);
  });
  test('doctor --duration abc → 2, names the flag and the value', async () => {
    assertOneLineError(await kerno('doctor', '--duration', 'abc'), 2, /--duration: .*"abc"/);
  });
  test('doctor --duration 0s → 2, must be between 1s and 5m', async () => {
    assertOneLineError(await kerno('doctor', '--duration', '0s'), 2, /--duration: must be between 1s and 5m/);
  });
  test('doctor --duration 10m → 2, must be between 1s and 5m', async () => {
    assertOneLineError(
      await kerno('doctor', '--duration', '10m'),
      2,
      /--duration: must be between 1s and 5m/,
    );
  });
  test('doctor --output xml → 2', async () => {
    assertOneLineError(await kerno('doctor', '--output', 'xml'), 2, /'xml' is invalid.*json/);
  });
  test('--log-level loud → 2 (a flag value, not the config file)', async () => {
    assertOneLineError(
      await kerno('--log-level', 'loud', 'explain', '--rule', 'fd_leak'),
      2,
      /--log-level: .*"loud"/,
    );
  });
  test('--config /nonexistent.yaml → 3', async () => {
    assertOneLineError(
      await kerno('--config', '/nonexistent.yaml', 'doctor'),
      3,
      /\/nonexistent\.yaml: cannot read: ENOENT/,
    );
  });
  test('config file with invalid YAML → 3', async () => {
    assertOneLineError(
      await kerno('--config', invalidYaml, 'doctor'),
      3,
      /invalid\.yaml: invalid YAML at line \d+/,
    );
  });
  test('config file with an invalid value → 3, names key, value and file', async () => {
    assertOneLineError(
      await kerno('--config', invalidValue, 'doctor'),
      3,
      /doctor\.duration: must be between 1s and 5m, got "10m" \(in .*invalid-value\.yaml\)/,
    );
  });
  test('invalid KERNO_* environment value → 3, names the variable', async () => {
    const o = await spawnKerno(['doctor'], { env: { ...env, KERNO_DOCTOR_DURATION: 'abc' } });
    assertOneLineError(o, 3, /KERNO_DOCTOR_DURATION: .*"abc"/);
  });
  test('unknown config key: one warning line, the command still runs (exit 0)', async () => {
    const o = await kerno('explain', '--rule', 'fd_leak', '--config', unknownKey);
    assert.equal(o.code, 0, o.stderr);
    assert.deepEqual(stderrLines(o), ['kerno: warning: unknown config key "doctr" (ignored)']);
    assert.match(o.stdout, /^RULE\s+fd_leak$/m);
  });
  test('chaos with no arguments → 2', async () => {
    assertOneLineError(await kerno('chaos'), 2, /must specify --induce <scenario> or --list$/);
  });
  test('chaos --induce nope → 2, points at --list', async () => {
    assertOneLineError(
      await kerno('chaos', '--induce', 'nope', '--yes'),
      2,
      /unknown scenario "nope".*kerno chaos --list/,
    );
  });
  test('chaos --intensity extreme → 2', async () => {
    assertOneLineError(
      await kerno('chaos', '--induce', 'cpu', '--intensity', 'extreme', '--yes'),
      2,
      /--intensity "extreme": expected low, medium or high/,
    );
  });
  test('chaos --duration abc → 2', async () => {
    assertOneLineError(
      await kerno('chaos', '--induce', 'cpu', '--duration', 'abc', '--yes'),
      2,
      /--duration: .*"abc"/,
    );
  });
  test('chaos --list with --induce → 2 (conflicting flags)', async () => {
    assertOneLineError(
      await kerno('chaos', '--list', '--induce', 'cpu'),
      2,
      /'--list' cannot be used with option '--induce/,
    );
  });
  test('explain --rule nope → 1 (unknown rule)', async () => {
    assertOneLineError(await kerno('explain', '--rule', 'nope'), 1, /unknown rule "nope"/);
  });
  test('explain --rule disk → 1 with suggestions', async () => {
    assertOneLineError(
      await kerno('explain', '--rule', 'disk'),
      1,
      /unknown rule "disk"; did you mean disk_io_bottleneck, disk_io_write_high\?/,
    );
  });
  test('explain "free text" with AI off (the default) → 1, AI is not configured', async () => {
    assertOneLineError(
      await kerno('explain', 'OOM killer invoked'),
      1,
      /^kerno: AI is not configured: set ai\.enabled: true/,
    );
  });
  test('explain with no message and no piped stdin → 2', async () => {
    assertOneLineError(await kerno('explain'), 2, /nothing to explain: give the message/);
  });
  test('doctor --ai with AI off → 1 before any collection, AI is not configured', async () => {
    assertOneLineError(await kerno('doctor', '--ai', '-d', '1s'), 1, /^kerno: AI is not configured/);
  });
  test('doctor --ai --watch → 2; --ai-privacy without --ai → 2', async () => {
    assertOneLineError(await kerno('doctor', '--ai', '--watch'), 2, /--ai and --watch/);
    assertOneLineError(await kerno('doctor', '--ai-privacy', 'full'), 2, /--ai-privacy needs --ai/);
  });
  test('ai.provider not one of the three → 3', async () => {
    const o = await spawnKerno(['explain', 'x'], { env: { ...env, KERNO_AI_PROVIDER: 'gemini' } });
    assertOneLineError(o, 3, /KERNO_AI_PROVIDER: must be one of anthropic, openai, ollama, got "gemini"/);
  });
  test('signals --duration abc → 2', async () => {
    assertOneLineError(await kerno('signals', '--duration', 'abc'), 2, /--duration: .*"abc"/);
  });
  test('netconsole setup --target nonsense → 2', async () => {
    assertOneLineError(
      await kerno('netconsole', 'setup', '--target', 'nonsense'),
      2,
      /invalid netconsole target "nonsense"/,
    );
  });
  test('netconsole setup without --target → 2', async () => {
    assertOneLineError(await kerno('netconsole', 'setup'), 2, /required option '--target/);
  });
  test('panics --since abc → 2', async () => {
    assertOneLineError(await kerno('panics', '--since', 'abc'), 2, /--since: .*"abc"/);
  });
});

describe('help and version', { concurrency: 2 }, () => {
  test('--version prints the package version', async () => {
    const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string };
    const o = await kerno('--version');
    assert.equal(o.code, 0);
    assert.equal(o.stdout.trim(), pkg.version);
    assert.equal(o.stderr, '');
  });

  test('--help of the root and of every command exits 0 and prints Usage', async () => {
    const root = await kerno('--help');
    assert.equal(root.code, 0, root.stderr);
    assert.match(root.stdout, /^Usage: kerno /m);
    // Every command the root help lists, so a command added later is covered too.
    const listed = root.stdout
      .split(/^Commands:$/m)[1]!
      .split(/\n\n/)[0]!
      .split('\n')
      .map((l) => /^ {2}(\S+)/.exec(l)?.[1])
      .filter((n): n is string => n !== undefined && n !== 'help');
    for (const name of ['doctor', 'signals', 'chaos', 'explain', 'panics', 'netconsole'])
      assert.ok(listed.includes(name), `root help lists ${name}: ${listed.join(', ')}`);
    const all = [...listed.map((n) => [n]), ['netconsole', 'setup']];
    const outcomes = await Promise.all(all.map((argv) => kerno(...argv, '--help')));
    outcomes.forEach((o, i) => {
      const name = all[i]!.join(' ');
      assert.equal(o.code, 0, `${name} --help: exit ${o.code}, stderr: ${o.stderr}`);
      assert.match(o.stdout, new RegExp(`^Usage: kerno ${name}`, 'm'), `${name} --help prints Usage`);
      assert.equal(o.stderr, '', `${name} --help writes nothing to stderr`);
    });
  });
});
