import { test } from 'node:test';
import assert from 'node:assert/strict';
import { COMMAND_NAMES, commands } from '../../../src/cli/commands.js';

test('--version loads no command module; a named command loads only itself; help loads all', async () => {
  assert.deepEqual(await commands(['--version']), []);
  assert.deepEqual(await commands(['-V']), []);
  assert.equal((await commands(['doctor', '--duration', '1s'])).length, 1);
  assert.equal((await commands(['--help'])).length, COMMAND_NAMES.length);
  assert.equal((await commands([])).length, COMMAND_NAMES.length);
  // A global option's value is not mistaken for a command: everything is loaded so commander can parse.
  assert.equal((await commands(['--config', 'doctor', 'signals'])).length, COMMAND_NAMES.length);
});
