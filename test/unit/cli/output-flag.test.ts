// One output flag everywhere: every command that prints data takes -o/--output, and `-o json` prints JSON
// (bpf-verify keeps --json as an alias). Commands that need the kernel (doctor, signals, bpf-verify) are
// checked without it: doctor through --from, signals and bpf-verify through their parsed options.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Command } from 'commander';
import { run } from '../../../src/cli/main.js';
import { commands } from '../../../src/cli/commands.js';
import { bpfVerifyOptions, bpfVerifyProgram, runBpfVerify } from '../../../src/cli/bpf-verify.js';
import type { CliIO } from '../../../src/cli/io.js';
import { fullReport } from '../../fixtures/render/report.js';
import { runKerno, tempDir } from './helpers.js';

/** Every command that prints data, with the arguments that make it print without a kernel. */
const DATA_COMMANDS: Record<string, string[]> = {
  version: ['version'],
  explain: ['explain', '--rule', 'fd_leak'],
  'explain (list)': ['explain', '--rule'],
  'chaos --list': ['chaos', '--list'],
  'netconsole setup': ['netconsole', 'setup', '--target', '10.0.0.2:6666'],
};

const parseJson = (text: string, what: string): unknown => {
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    assert.fail(`${what}: -o json printed something that is not JSON (${(err as Error).message}):\n${text}`);
  }
};

describe('-o json prints JSON', () => {
  const dir = tempDir('output-flag');
  let server: Server;
  let url = '';
  before(async () => {
    server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(fullReport()));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    dir.remove();
    await new Promise((r) => server.close(r));
  });

  for (const [name, args] of Object.entries(DATA_COMMANDS)) {
    test(name, async () => {
      for (const flag of ['-o', '--output']) {
        const r = await runKerno([...args, flag, 'json']);
        assert.equal(r.code, 0, r.stderr);
        parseJson(r.stdout, `${args.join(' ')} ${flag} json`);
      }
    });
  }

  test('panics (also with no state dir yet)', async () => {
    const r = await runKerno(['panics', '--state-dir', `${dir.path}/none`, '-o', 'json']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(parseJson(r.stdout, 'panics'), { count: 0, incidents: [] });
  });

  test('doctor (--from a daemon)', async () => {
    const r = await runKerno(['doctor', '--from', url, '-o', 'json']);
    assert.equal(r.code, 0, r.stderr);
    const report = parseJson(r.stdout, 'doctor') as { schemaVersion: number };
    assert.equal(report.schemaVersion, fullReport().schemaVersion);
  });

  test('chaos: -o json outside --list is a usage error, not a silently ignored flag', async () => {
    const r = await runKerno(['chaos', '--induce', 'cpu', '-o', 'json']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--output: only with --list/);
  });
});

describe('bpf-verify: -o/--output, and --json as its alias', () => {
  const io: CliIO = { out: () => {}, err: () => {}, stdoutIsTTY: false, env: {} };
  const parse = (...argv: string[]) => {
    const p = bpfVerifyProgram(io);
    p.parse(argv, { from: 'user' });
    return bpfVerifyOptions(p);
  };
  test('json from -o json, --output json and --json; a table otherwise', () => {
    for (const argv of [['-o', 'json'], ['--output', 'json'], ['--json'], ['--json', '-o', 'json']])
      assert.equal(parse(...argv).json, true, argv.join(' '));
    for (const argv of [[], ['-o', 'table']]) assert.equal(parse(...argv).json, false, argv.join(' '));
  });
  test('an unknown format and a contradiction are usage errors (exit 2)', async () => {
    let err = '';
    const capture: CliIO = { ...io, err: (s) => void (err += s) };
    assert.equal(await runBpfVerify(['-o', 'yaml'], capture), 2);
    assert.match(err, /argument 'yaml' is invalid/);
    assert.throws(() => parse('--json', '-o', 'table'), /--json contradicts --output table/);
  });
});

describe('every command that prints data has -o/--output', () => {
  // start is a daemon (it serves, it prints nothing); completion and man print scripts, not data.
  const NO_DATA = new Set(['start', 'completion', 'man']);
  test('in the command tree', async () => {
    const program = new Command('kerno');
    const io: CliIO = { out: () => {}, err: () => {}, stdoutIsTTY: false, env: {} };
    for (const m of await commands([])) m.register(program, io, () => {});
    const leaves = (c: Command, path: string[]): [string, Command][] =>
      c.commands.length === 0
        ? [[path.join(' '), c]]
        : c.commands.flatMap((s) => leaves(s, [...path, s.name()]));
    const checked: string[] = [];
    for (const [name, cmd] of program.commands.flatMap((c) => leaves(c, [c.name()]))) {
      if (NO_DATA.has(name)) continue;
      const o = cmd.options.find((x) => x.long === '--output');
      assert.ok(o, `kerno ${name} has no --output`);
      assert.equal(o.short, '-o', `kerno ${name}: --output has no -o`);
      checked.push(name);
    }
    assert.ok(checked.length >= 7, checked.join(', '));
    assert.ok(bpfVerifyProgram(io).options.some((x) => x.long === '--output' && x.short === '-o'));
  });
  test('signals accepts -o json and rejects other formats', async () => {
    const r = await run(['signals', '-o', 'plain'], captureIO(), await commands(['signals']));
    assert.equal(r, 2);
  });
});

function captureIO(): CliIO {
  return { out: () => {}, err: () => {}, stdoutIsTTY: false, env: { NO_COLOR: '1' } };
}
