import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import YAML from 'yaml';
import { CONFIG_KEYS, defaultConfig, loadConfig } from '../../../src/config/index.js';
import { formatKey, isPlainObject, leafPaths } from '../../../src/config/keys.js';
import { scratch } from './helpers.js';

const dir = scratch();
after(() => dir.remove());

const example = readFileSync(new URL('../../../config.example.yaml', import.meta.url), 'utf8');

/** The example with its settings uncommented: lines like "#   key: value" lose their leading "# ". */
const uncommented = example
  .split('\n')
  .map((line) => (/^# *[a-z0-9_]+:( |$)/.test(line) ? line.replace(/^# /, '') : line))
  .join('\n');

test('config.example.yaml, uncommented, is exactly the defaults', () => {
  const path = dir.write('example.yaml', uncommented);
  const { config, warnings } = loadConfig({
    explicitPath: path,
    env: {},
    cwd: dir.root,
    home: dir.root,
    etcDir: dir.root,
  });
  assert.deepEqual(warnings, []);
  assert.deepEqual(config, defaultConfig());
});

test('config.example.yaml documents every key', () => {
  const doc: unknown = YAML.parse(uncommented);
  const missing = leafPaths(CONFIG_KEYS)
    // Per-collector overrides are documented as one map with an example, not ten empty keys.
    .filter(({ path }) => !formatKey(path).startsWith('runtime.failure_policy.overrides.'))
    .filter(({ path }) => {
      let node: unknown = doc;
      for (const seg of path) node = isPlainObject(node) ? node[seg] : undefined;
      return node === undefined;
    })
    .map(({ path }) => formatKey(path));
  assert.deepEqual(missing, []);
  assert.match(uncommented, /^ {4}overrides: \{\}/m);
});

test('config.example.yaml as shipped (all commented) loads as the defaults', () => {
  const path = join(dir.root, 'shipped.yaml');
  dir.write('shipped.yaml', example);
  const { config, warnings } = loadConfig({
    explicitPath: path,
    env: {},
    cwd: dir.root,
    home: dir.root,
    etcDir: dir.root,
  });
  assert.deepEqual(warnings, []);
  assert.deepEqual(config, defaultConfig());
});
