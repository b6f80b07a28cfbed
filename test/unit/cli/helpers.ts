// Running kerno in tests: as a real process (`node --import tsx bin/kerno.ts …`, for exit codes, stderr
// and signals exactly as a user sees them) or in-process through run() with a captured CliIO (fast).
import { spawn, type SpawnOptions } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { run } from '../../../src/cli/main.js';
import { commands } from '../../../src/cli/commands.js';
import type { CliIO } from '../../../src/cli/io.js';

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

export interface Outcome {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** The environment without KERNO_* or XDG_CONFIG_HOME (a developer's settings must not change the outcome). */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env))
    if (!k.startsWith('KERNO_') && k !== 'XDG_CONFIG_HOME') env[k] = v;
  return { ...env, NO_COLOR: '1', ...extra };
}

export interface SpawnKernoOptions {
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
  /** Run under another program first, e.g. ['setpriv', '--reuid=65534', …]. */
  wrapper?: string[];
  /** Called once per stderr chunk (to react to progress lines). */
  onStderr?: (all: string, child: ReturnType<typeof spawn>) => void;
}

/** Spawns the real entry point and resolves when it exits; a hang past the timeout is SIGKILLed and fails. */
export function spawnKerno(args: string[], opts: SpawnKernoOptions = {}): Promise<Outcome> {
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const argv = [process.execPath, '--import', 'tsx', join(REPO, 'bin/kerno.ts'), ...args];
  const [cmd, ...rest] = [...(opts.wrapper ?? []), ...argv];
  const spawnOpts: SpawnOptions = {
    cwd: REPO,
    env: opts.env ?? cleanEnv(),
    stdio: ['ignore', 'pipe', 'pipe'],
  };
  return new Promise((resolvePromise, reject) => {
    const child = spawn(cmd!, rest, spawnOpts);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => {
      stderr += d.toString();
      opts.onStderr?.(stderr, child);
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`kerno ${args.join(' ')}: no exit within ${timeoutMs} ms; stderr: ${stderr}`));
    }, timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolvePromise({ code, signal, stdout, stderr });
    });
  });
}

/** Non-empty stderr lines. */
export function stderrLines(o: Outcome): string[] {
  return o.stderr.split('\n').filter((l) => l.trim() !== '');
}

/** Runs kerno in this process with captured output. Config discovery is pinned to an empty config file. */
export async function runKerno(
  args: string[],
  opts: { stdoutIsTTY?: boolean; env?: NodeJS.ProcessEnv } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const io: CliIO = {
    out: (s) => void (stdout += s),
    err: (s) => void (stderr += s),
    stdoutIsTTY: opts.stdoutIsTTY ?? false,
    env: opts.env ?? { KERNO_CONFIG: emptyConfig(), NO_COLOR: '1' },
  };
  const code = await run(args, io, await commands(args));
  return { code, stdout, stderr };
}

let emptyConfigPath: string | undefined;
function emptyConfig(): string {
  if (!emptyConfigPath) {
    const dir = mkdtempSync(join(tmpdir(), 'kerno-test-cli-'));
    emptyConfigPath = join(dir, 'config.yaml');
    writeFileSync(emptyConfigPath, '');
    process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  }
  return emptyConfigPath;
}

/** A temporary directory removed by remove() (call it in after()). */
export function tempDir(tag: string): {
  path: string;
  file(name: string, text: string): string;
  remove(): void;
} {
  const path = mkdtempSync(join(tmpdir(), `kerno-test-${tag}-`));
  return {
    path,
    file(name, text) {
      const p = join(path, name);
      writeFileSync(p, text);
      return p;
    },
    remove() {
      rmSync(path, { recursive: true, force: true });
    },
  };
}
