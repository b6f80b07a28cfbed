// bpf-verify: proves every kerno BPF program loads and attaches on this kernel. Each program is loaded in
// its own object instance so one rejection cannot hide the others' results, and so load time and verified
// instruction counts are per program. With --read, every attached program runs for the window and its
// kernel run count (BPF_ENABLE_STATS, no global sysctl change) is the "events" column.
import { readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { Command, CommanderError, Option } from 'commander';
import Table from 'cli-table3';
import { BpfObject, attachKind, isCgroupProgram, type Link } from '../bpf/object.js';
import { findUnifiedMount } from '../collectors/procfs/cgroup-mounts.js';
import { bpfObjectDir } from '../bpf/paths.js';
import { probeFeatures } from '../bpf/probe.js';
import { native } from '../bpf/native.js';
import { toBpfError, type BpfError } from '../bpf/errors.js';
import { parseDuration } from '../util/duration.js';
import { sleepUntilAborted } from '../util/sleep.js';
import { checkBpfPrivileges } from '../util/privileges.js';
import { classifyError } from '../runtime/classify-error.js';
import { VERSION } from '../version.js';
import { collectorMapMemory } from '../collectors/map-memory.js';
import { UsageError, type CliIO } from './io.js';

export interface ProgramVerdict {
  object: string;
  program: string;
  section: string;
  attachType: string;
  loaded: boolean;
  attached: boolean;
  loadMs: number;
  verifiedInsns: number;
  events: number | null;
  error?: string;
  hint?: string;
  verifierTail?: string;
  /**
   * An optional program (`SEC("?…")`: a hook its user can do without) whose hook this kernel lacks: not
   * counted in the total; what was missing is in `error`.
   */
  absent?: boolean;
}

export interface VerifyResult {
  programs: ProgramVerdict[];
  loaded: number;
  attached: number;
  total: number;
  readSeconds: number;
}

export function listObjects(dir = bpfObjectDir()): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.bpf.o'))
    .sort()
    .map((f) => join(dir, f));
}

/**
 * Loads + attaches every program of every object; keeps them attached for `readNs` and counts runs. With
 * `attach: false` (kerno preflight) programs are only loaded: the verifier's verdict without touching a hook.
 */
export async function verifyObjects(
  paths: string[],
  readNs: number,
  signal?: AbortSignal,
  { attach = true }: { attach?: boolean } = {},
): Promise<VerifyResult> {
  const verdicts: ProgramVerdict[] = [];
  const live: { obj: BpfObject; link: Link | null; verdict: ProgramVerdict }[] = [];
  // cgroup programs attach to the cgroup v2 root, where kerno's collectors put them (host-wide view).
  const cgroupRoot = await findUnifiedMount();
  try {
    for (const path of paths) {
      let names: { name: string; section: string; optional: boolean }[];
      try {
        const lister = BpfObject.open(path);
        // libbpf opens SEC("?…") programs with autoload off: kerno's mark for an optional hook.
        names = lister.programs().map((p) => ({ name: p.name, section: p.section, optional: !p.autoload }));
        lister.close();
      } catch (err) {
        const e = toBpfError(err, { object: path });
        verdicts.push(failed(path, '(object)', '', e));
        continue;
      }
      for (const { name, section, optional } of names) {
        const verdict = notYetLoaded(path, name, section);
        verdicts.push(verdict);
        const obj = BpfObject.open(path);
        live.push({ obj, link: null, verdict });
        try {
          obj.selectPrograms([name]);
          trySetSelf(obj);
          const r = await obj.load();
          const p = r.programs.find((x) => x.name === name);
          verdict.loaded = true;
          verdict.loadMs = r.loadMs;
          verdict.verifiedInsns = p?.verifiedInsns ?? 0;
          if (attach) {
            if (isCgroupProgram(section) && cgroupRoot === undefined)
              throw new Error(`attach ${name}: no cgroup v2 hierarchy is mounted (cgroup programs need one)`);
            live[live.length - 1]!.link = obj.attach(
              name,
              isCgroupProgram(section) ? { cgroup: cgroupRoot } : undefined,
            );
            verdict.attached = true;
          }
        } catch (err) {
          const e = toBpfError(err, { object: path, program: name });
          Object.assign(verdict, describe(e));
          if (optional && !verdict.loaded && (e.code === 'ESRCH' || e.code === 'ENOENT'))
            verdict.absent = true;
        }
      }
    }
    if (readNs > 0) {
      const statsFd = native().enableStats();
      try {
        const before = new Map(
          live.filter((l) => l.link).map((l) => [l, runCount(l.obj, l.verdict.program)]),
        );
        await sleepUntilAborted(readNs / 1e6, signal);
        for (const [l, b] of before) l.verdict.events = runCount(l.obj, l.verdict.program) - b;
      } finally {
        native().closeFd(statsFd);
      }
    }
  } finally {
    for (const l of live) l.obj.close();
  }
  return {
    programs: verdicts,
    loaded: verdicts.filter((v) => v.loaded).length,
    attached: verdicts.filter((v) => v.attached).length,
    total: verdicts.filter((v) => !v.absent).length,
    readSeconds: readNs / 1e9,
  };
}

function runCount(obj: BpfObject, program: string): number {
  return obj.programInfo(program)?.runCount ?? 0;
}

/** Programs filter kerno's own PID through a `self_tgid` rodata global; fixtures may not have it. */
function trySetSelf(obj: BpfObject): void {
  try {
    obj.setGlobal('self_tgid', process.pid, 4);
  } catch {
    /* object without the global */
  }
}

function notYetLoaded(object: string, program: string, section: string): ProgramVerdict {
  return {
    object,
    program,
    section,
    attachType: attachKind(section),
    loaded: false,
    attached: false,
    loadMs: 0,
    verifiedInsns: 0,
    events: null,
  };
}

function failed(object: string, program: string, section: string, e: BpfError): ProgramVerdict {
  return { ...notYetLoaded(object, program, section), ...describe(e) };
}

function describe(e: BpfError): Pick<ProgramVerdict, 'error' | 'hint' | 'verifierTail'> {
  const cls = classifyError(e);
  return { error: e.message, hint: cls.hint, verifierTail: e.verifierTail(12) || undefined };
}

export function renderTable(r: VerifyResult): string {
  const t = new Table({
    head: [
      'program',
      'object',
      'attach',
      'load ms',
      'insns',
      'verifier',
      'attached',
      ...(r.readSeconds ? ['events'] : []),
    ],
    style: { head: [], border: [] },
  });
  for (const v of r.programs) {
    t.push([
      v.program,
      v.object
        .split('/')
        .pop()!
        .replace(/\.bpf\.o$/, ''),
      v.attachType,
      v.loaded ? v.loadMs.toFixed(1) : '-',
      v.loaded ? String(v.verifiedInsns) : '-',
      v.loaded ? 'OK' : v.absent ? 'no hook' : 'REJECTED',
      v.attached ? 'yes' : 'no',
      ...(r.readSeconds ? [v.events === null ? '-' : String(v.events)] : []),
    ]);
  }
  const lines = [t.toString()];
  for (const v of r.programs.filter((x) => x.absent)) {
    lines.push(
      '',
      `- ${v.program} (${v.object}): optional, its hook is not on this kernel (${v.error ?? 'absent'})`,
    );
  }
  for (const v of r.programs.filter((x) => !x.attached && !x.absent)) {
    lines.push('', `✗ ${v.program} (${v.object}): ${v.error ?? 'failed'}`);
    if (v.hint) lines.push(`  hint: ${v.hint}`);
    if (v.verifierTail)
      lines.push('  verifier log (tail):', ...v.verifierTail.split('\n').map((l) => `    ${l}`));
  }
  lines.push('', `Result: ${r.attached}/${r.total} programs loaded and attached`);
  return lines.join('\n');
}

export interface BpfVerifyOptions {
  read?: string;
  /** --json or --output json: every kerno command spells it -o json; --json stays for existing scripts. */
  json: boolean;
  object?: string[];
  verbose?: boolean;
  features?: boolean;
}

/** The parsed options of a bpf-verify command line. */
export function bpfVerifyOptions(program: Command): BpfVerifyOptions {
  const o = program.opts<Omit<BpfVerifyOptions, 'json'> & { json?: boolean; output?: string }>();
  if (o.json && o.output === 'table') throw new UsageError('--json contradicts --output table');
  const { output, ...rest } = o;
  return { ...rest, json: Boolean(o.json) || output === 'json' };
}

/** The bpf-verify command line (also read by `kerno completion` and the man page). */
export function bpfVerifyProgram(io: CliIO): Command {
  return new Command('bpf-verify')
    .description('Load and attach every kerno BPF program on this kernel and report the verifier result.')
    .option(
      '--read <duration>',
      'keep programs attached for this long and count how often each ran (e.g. 5s)',
    )
    .addOption(new Option('-o, --output <format>', 'output format').choices(['table', 'json']))
    .option('--json', "the same as --output json (adds `mapMemory`: kernel memory of the collectors' maps)")
    .option('--object <path...>', 'verify these object files instead of every object in build/bpf')
    .option('--features', 'probe which attach types this kernel supports (load + attach a tiny program each)')
    .option('-v, --verbose', 'print libbpf debug output on stderr')
    .version(VERSION, '--version')
    .addHelpText(
      'after',
      '\nExamples:\n  sudo bin/bpf-verify\n  sudo bin/bpf-verify --read 5s\n  sudo bin/bpf-verify -o json\n\nExit status: 0 only when every program loads and attaches.',
    )
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) });
}

export async function runBpfVerify(argv: string[], io: CliIO): Promise<number> {
  const program = bpfVerifyProgram(io);
  try {
    program.parse(argv, { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    throw err;
  }
  const opts = bpfVerifyOptions(program);
  let readNs = 0;
  if (opts.read !== undefined) {
    try {
      readNs = parseDuration(opts.read);
    } catch (err) {
      throw new UsageError(`--read: ${(err as Error).message}`);
    }
  }
  const priv = checkBpfPrivileges();
  if (!priv.ok) {
    io.err(`bpf-verify: ${priv.reason}\n`);
    return 1;
  }
  if (opts.verbose) native().setLogLevel(2);
  if (opts.features) {
    const f = await probeFeatures();
    if (opts.json) io.out(JSON.stringify(f, null, 2) + '\n');
    else {
      io.out(`BTF: ${f.btf ? 'yes' : 'no'}   tracefs: ${f.tracefsPath ?? 'not mounted'}\n`);
      for (const x of f.features)
        io.out(
          `  ${x.supported ? '✓' : '✗'} ${x.attachType.padEnd(10)} ${x.supported ? 'load+attach ok' : x.error}\n`,
        );
    }
    return 0;
  }
  const paths = opts.object ?? listObjects();
  if (paths.length === 0) {
    io.err(`bpf-verify: no BPF objects in ${bpfObjectDir()}: run scripts/setup.sh\n`);
    return 1;
  }
  const result = await verifyObjects(paths, readNs, io.signal);
  if (opts.verbose) io.err(native().takeLog());
  // Kernel memory of the maps as the collectors load them (each verdict above loads its own copies, so
  // their memory says nothing): only for kerno's own objects, not for --object files.
  if (opts.json && opts.object === undefined) {
    const mapMemory = await collectorMapMemory();
    io.out(JSON.stringify({ ...result, mapMemory }, null, 2) + '\n');
  } else if (opts.json) io.out(JSON.stringify(result, null, 2) + '\n');
  else io.out(renderTable(result) + '\n');
  return result.attached === result.total && result.total > 0 ? 0 : 1;
}
