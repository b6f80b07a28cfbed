// `npm pack` yields a package a user can install and run: the prebuilt bundle, native addon, BPF objects
// and man page, the launchers, LICENSE and docs; no tests, benches or sources it does not run, and nothing
// that makes npm build on install (binding.gyp alone would make it run node-gyp). verify.sh's smoke phase
// installs the tarball and runs it.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { REPO } from '../cli/helpers.js';

interface PackJson {
  files: { path: string }[];
}

let files: string[] = [];
const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as {
  files?: string[];
  man?: string[];
  bin: Record<string, string>;
  dependencies?: Record<string, string>;
  scripts: Record<string, string>;
};

before(() => {
  // --ignore-scripts: the prepack script prunes superseded bundle chunks, a change this test must not make.
  const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
    cwd: REPO,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  files = (JSON.parse(out) as PackJson[])[0]!.files.map((f) => f.path);
});

test('it holds what a user runs: launchers, bundle, addon, every BPF object, man page, LICENSE', () => {
  const bpf = readdirSync(join(REPO, 'build/bpf'))
    .filter((f) => f.endsWith('.bpf.o'))
    .map((f) => `build/bpf/${f}`);
  assert.ok(bpf.length >= 6, `BPF objects built: ${bpf.join(', ')}`);
  const needed = [
    ...Object.values(pkg.bin),
    'bin/_launch.sh',
    'dist/bundle/kerno.js',
    'dist/bundle/bpf-verify.js',
    'dist/bundle/kubectl-kerno.js',
    'build/Release/kerno_native.node',
    ...bpf,
    'build/bpf/probe/feature.bpf.o',
    ...(pkg.man ?? []).map((m) => m.replace(/^\.\//, '')),
    'LICENSE',
    'README.md',
    'package.json',
    'config.example.yaml',
    'docs/report.schema.json',
    'deploy/systemd/kerno.service',
    // kerno chaos compiles its workload from this source.
    'src/chaos/workloads/kerno-chaos-worker.c',
  ];
  for (const f of needed) assert.ok(files.includes(f), `${f} is not in the package`);
  // Every chunk the current bundle imports (dist/bundle/meta.json lists the outputs of the last build).
  const meta = JSON.parse(readFileSync(join(REPO, 'dist/bundle/meta.json'), 'utf8')) as {
    outputs: Record<string, unknown>;
  };
  for (const out of Object.keys(meta.outputs).filter((o) => o.endsWith('.js'))) {
    const rel = out.includes('/chunks/')
      ? `dist/bundle/chunks/${basename(out)}`
      : `dist/bundle/${basename(out)}`;
    assert.ok(files.includes(rel), `${rel} (imported by the bundle) is not in the package`);
  }
});

test('no tests, benches, sources, source maps or build intermediates', () => {
  const forbidden = [
    /^test\//,
    /^bench\//,
    /^src\/(?!chaos\/workloads\/[^/]+\.c$)/,
    /^rules\//,
    /^native\//,
    /^bpf\//,
    /^scripts\//,
    /^node_modules\//,
    /^dist\/(bin|src|rules|test|bench)\//,
    /^build\/bpf\/fixtures\//,
    /^build\/Release\/obj/,
    /\.tsx?$/,
    /\.map$/,
    /(^|\/)meta\.json$/,
    /^binding\.gyp$/,
    /^tsconfig\.json$/,
    /^eslint\.config\.js$/,
  ];
  const bad = files.filter((f) => forbidden.some((re) => re.test(f)));
  assert.deepEqual(bad, []);
});

test('installing it never builds: no binding.gyp, no install scripts, no dependencies to fetch', () => {
  assert.ok(!files.includes('binding.gyp'));
  for (const s of ['preinstall', 'install', 'postinstall'])
    assert.equal(pkg.scripts[s], undefined, `scripts.${s}`);
  // The bundle holds every runtime library (esbuild --bundle); an install needs no registry.
  assert.equal(pkg.dependencies, undefined);
  // The launcher builds only in a checkout, recognised by scripts/setup.sh, which the package does not ship.
  const launch = readFileSync(join(REPO, 'bin/_launch.sh'), 'utf8');
  assert.match(launch, /if \[ -f "\$root\/scripts\/setup\.sh" \]; then/);
  assert.ok(!files.includes('scripts/setup.sh'));
  assert.ok(existsSync(join(REPO, 'LICENSE')));
  assert.match(readFileSync(join(REPO, 'LICENSE'), 'utf8'), /Apache License\s+Version 2\.0, January 2004/);
});
