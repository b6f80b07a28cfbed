// `kerno completion bash|zsh|fish` and `kerno man` are generated from the commander tree: every command and
// option of it appears in each, and the scripts actually complete in the real shells.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { commandTrees } from '../../../src/cli/completion-cmd.js';
import { allCommands } from '../../../src/cli/commands.js';
import { roff, type CommandNode } from '../../../src/cli/completion.js';
import type { CliIO } from '../../../src/cli/io.js';
import { runKerno, tempDir } from './helpers.js';

const io: CliIO = { out: () => {}, err: () => {}, stdoutIsTTY: false, env: {} };
let trees: CommandNode[][];
const scripts: Record<string, string> = {};
const dir = tempDir('completion');
process.on('exit', () => dir.remove());

before(async () => {
  trees = await commandTrees(io, allCommands);
  for (const shell of ['bash', 'zsh', 'fish']) {
    const r = await runKerno(['completion', shell]);
    assert.equal(r.code, 0, r.stderr);
    scripts[shell] = r.stdout;
  }
});

/** A shell the test needs: present, or (outside CI) a skip that names it; CI installs it (setup.sh --test). */
function shell(name: string): string | undefined {
  const found = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).stdout.trim();
  if (found) return found;
  if (process.env.CI === 'true')
    assert.fail(`${name} is not installed (scripts/setup.sh --test installs it)`);
  return undefined;
}

describe('every command and option appears', () => {
  test('the tree holds every command of the CLI (kerno and bpf-verify)', () => {
    const paths = trees.flatMap((t) => t.map((n) => n.path.join(' ')));
    for (const p of [
      'kerno doctor',
      'kerno start',
      'kerno netconsole setup',
      'kerno preflight',
      'kerno completion',
      'kerno man',
    ])
      assert.ok(paths.includes(p), p);
    assert.ok(paths.includes('bpf-verify'));
  });
  for (const sh of ['bash', 'zsh', 'fish']) {
    test(sh, () => {
      const s = scripts[sh]!;
      for (const t of trees)
        for (const n of t) {
          for (const sub of n.subcommands)
            assert.match(s, new RegExp(`\\b${sub.name}\\b`), `${sh}: ${sub.name}`);
          for (const o of n.options)
            for (const name of o.names) {
              // fish spells them -s o / -l output.
              const spelled =
                sh === 'fish'
                  ? name.startsWith('--')
                    ? `-l ${name.slice(2)}`
                    : `-s ${name.slice(1)}`
                  : name;
              assert.ok(s.includes(spelled), `${sh}: ${n.path.join(' ')} ${name}`);
            }
        }
    });
  }
  test('an unknown shell is a usage error', async () => {
    const r = await runKerno(['completion', 'tcsh']);
    assert.equal(r.code, 2);
  });
});

describe('the scripts complete in the real shells', () => {
  test('bash', () => {
    const file = join(dir.path, 'kerno.bash');
    writeFileSync(file, scripts.bash!);
    const probe = `
      source '${file}'
      comp() { local f=$1; shift; COMP_WORDS=("$@"); COMP_CWORD=$((\${#COMP_WORDS[@]}-1)); COMPREPLY=(); $f; echo "\${COMPREPLY[*]}"; }
      comp _kerno kerno ''
      comp _kerno kerno doctor -o ''
      comp _kerno kerno --config x.yaml doctor --o
      comp _kerno kerno netconsole ''
      comp _kerno kerno netconsole setup --target-
      comp _kerno kerno chaos --output ''
      comp _bpf_verify bpf-verify -o ''`;
    const r = spawnSync('bash', ['--norc', '-c', probe], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stdout.trimEnd().split('\n');
    assert.deepEqual(
      lines[0]!.split(' '),
      trees[0]![0]!.subcommands.map((s) => s.name),
    );
    assert.deepEqual(lines.slice(1), [
      'auto pretty plain json md',
      '--output --only-critical',
      'setup',
      '--target-mac',
      'table json',
      'table json',
    ]);
  });

  test('zsh', (t) => {
    const zsh = shell('zsh');
    if (!zsh) return t.skip('zsh not installed');
    const file = join(dir.path, '_kerno');
    writeFileSync(file, scripts.zsh!);
    // The completion builtins are stubbed to print what they were given.
    const probe = `
      compdef() { :; }
      compadd() { [[ $1 == -- ]] && shift; print -r -- "$*"; }
      _describe() { local -a a; a=("\${(@P)4}"); print -r -- "\${(j: :)\${a[@]%%:*}}"; }
      _files() { print files; }
      _message() { print message; }
      source '${file}'
      c() { words=("$@"); CURRENT=\${#words}; _kerno; }
      c kerno ''
      c kerno doctor -o ''
      c kerno --config x doctor --token-file ''
      c kerno netconsole ''
      c kerno doctor -d ''`;
    const r = spawnSync(zsh, ['-f', '-c', probe], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(r.stdout.trimEnd().split('\n'), [
      trees[0]![0]!.subcommands.map((s) => s.name).join(' '),
      'auto pretty plain json md',
      'files',
      'setup',
      'message',
    ]);
  });

  test('fish', (t) => {
    const fish = shell('fish');
    if (!fish) return t.skip('fish not installed');
    const file = join(dir.path, 'kerno.fish');
    writeFileSync(file, scripts.fish!);
    const names = (cmdline: string): string[] => {
      const r = spawnSync(fish, ['--no-config', '-c', `source '${file}'; complete -C '${cmdline}'`], {
        encoding: 'utf8',
      });
      assert.equal(r.status, 0, r.stderr);
      return r.stdout
        .trimEnd()
        .split('\n')
        .map((l) => l.split('\t')[0]!)
        .sort();
    };
    assert.deepEqual(names('kerno '), trees[0]![0]!.subcommands.map((s) => s.name).sort());
    assert.deepEqual(names('kerno doctor -o '), ['auto', 'json', 'md', 'plain', 'pretty']);
    assert.deepEqual(names('kerno netconsole '), ['setup']);
    assert.deepEqual(names('kerno netconsole setup --target-'), ['--target-mac']);
    assert.deepEqual(names('bpf-verify --output '), ['json', 'table']);
  });
});

describe('kerno man', () => {
  let page = '';
  before(async () => {
    const r = await runKerno(['man']);
    assert.equal(r.code, 0, r.stderr);
    page = r.stdout;
  });
  test('a section for every command, and every option of it', () => {
    for (const t of trees)
      for (const n of t.slice(1)) {
        assert.match(
          page,
          new RegExp(`^\\.SS "${roff(n.path.join(' ')).replace(/\\/g, '\\\\')}`, 'm'),
          n.path.join(' '),
        );
      }
    assert.match(page, /^\.SH BPF\\-VERIFY$/m);
    for (const t of trees)
      for (const n of t)
        for (const o of n.options.filter((x) => x.names[0] !== '-h'))
          for (const name of o.names)
            assert.ok(page.includes(`\\fB${roff(name)}\\fR`), `${n.path.join(' ')} ${name}`);
    assert.match(page, /^\.SH FILES$/m);
    assert.ok(page.includes(roff('$XDG_CONFIG_HOME/kerno/config.yaml')));
  });
  test('groff renders it without a warning', () => {
    const groff = shell('groff');
    if (!groff) return;
    const r = spawnSync(groff, ['-man', '-Tutf8', '-ww', '-z'], { input: page, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr, '');
  });
  test('roff escapes what troff would read as markup', () => {
    assert.equal(roff('.TH x'), '\\&.TH x');
    assert.equal(roff('a-b \\ c'), 'a\\-b \\e c');
    assert.equal(roff('1s…5m'), '1s\\[u2026]5m');
  });
});
