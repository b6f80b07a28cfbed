// `kerno panics`: the kernel incidents (panics, oopses, lockups, hung tasks) that a `kerno start
// --netconsole-listen` receiver recorded from other nodes, newest first. Reads <state-dir>/panics.jsonl
// without opening it for writing, so it is safe next to a running daemon.
import { statSync } from 'node:fs';
import { Command, Option } from 'commander';
import {
  INCIDENT_KINDS,
  listIncidentsDetailed,
  panicsPath,
  type IncidentKind,
  type ListOptions,
  type PanicIncident,
} from '../netconsole/index.js';
import { parseDuration } from '../util/duration.js';
import { commandContext, ExitError } from './context.js';
import { EXIT, UsageError, type CliIO } from './io.js';
import type { CommandModule } from './main.js';
import { outputWidth, renderTable } from './table.js';

interface PanicsFlags {
  stateDir?: string;
  node?: string;
  kind?: IncidentKind;
  since?: string;
  limit: string;
  output: 'table' | 'json';
}

const MAX_LIMIT = 10_000;

export const panicsCommand: CommandModule = {
  register(program: Command, io: CliIO, setExit: (code: number) => void) {
    program
      .command('panics')
      .description(
        'list kernel incidents received over netconsole (kerno start --netconsole-listen), newest first',
      )
      .option(
        '--state-dir <dir>',
        'where the receiver records incidents (default: daemon.state_dir, /var/lib/kerno)',
      )
      .option('--node <name>', 'only this node')
      .addOption(new Option('--kind <kind>', 'only this kind of incident').choices([...INCIDENT_KINDS]))
      .option(
        '--since <duration|time>',
        'only incidents newer than this: a duration ("1h") or an RFC 3339 time',
      )
      .option('--limit <n>', `at most this many (1…${MAX_LIMIT})`, '50')
      .addOption(
        new Option('-o, --output <format>', 'output format').choices(['table', 'json']).default('table'),
      )
      .addHelpText(
        'after',
        `
Examples:
  kerno panics                              the latest incidents from every node
  kerno panics --node node-a --since 24h
  kerno panics --kind panic -o json | jq '.incidents[0].context'

The receiver: kerno start --netconsole-listen udp://0.0.0.0:6666; the senders: kerno netconsole setup.
See docs/netconsole.md.`,
      )
      .action(async (opts: PanicsFlags, cmd: Command) => {
        setExit(await runPanics(opts, cmd, io));
      });
  },
};

export function listOptions(
  opts: Pick<PanicsFlags, 'node' | 'kind' | 'since' | 'limit'>,
  now = Date.now(),
): ListOptions {
  const out: ListOptions = {};
  if (!/^\d+$/.test(opts.limit) || Number(opts.limit) < 1 || Number(opts.limit) > MAX_LIMIT) {
    throw new UsageError(`--limit: expected an integer between 1 and ${MAX_LIMIT}, got "${opts.limit}"`);
  }
  out.limit = Number(opts.limit);
  if (opts.node !== undefined) out.node = opts.node;
  if (opts.kind !== undefined) out.kind = opts.kind;
  if (opts.since !== undefined) {
    if (/^\d{4}-/.test(opts.since)) {
      const t = Date.parse(opts.since);
      if (!Number.isFinite(t)) throw new UsageError(`--since: not a valid RFC 3339 time: "${opts.since}"`);
      out.sinceMs = t;
    } else {
      try {
        out.sinceMs = now - parseDuration(opts.since) / 1e6;
      } catch {
        throw new UsageError(
          `--since: expected a duration such as "1h" or an RFC 3339 time, got "${opts.since}"`,
        );
      }
    }
  }
  return out;
}

async function runPanics(opts: PanicsFlags, cmd: Command, io: CliIO): Promise<number> {
  const filter = listOptions(opts);
  const { config, color } = commandContext(
    cmd,
    io,
    opts.stateDir !== undefined ? { daemon: { state_dir: opts.stateDir } } : {},
    { 'daemon.state_dir': '--state-dir' },
  );
  const dir = config.daemon.state_dir;
  const json = opts.output === 'json';
  if (!isDirectory(dir)) {
    if (json) io.out(JSON.stringify({ count: 0, incidents: [] }, null, 2) + '\n');
    const text = `no incidents recorded (state dir ${dir} does not exist)\n`;
    if (json) io.err(text);
    else io.out(text);
    return EXIT.OK;
  }
  let incidents: PanicIncident[];
  try {
    const listed = await listIncidentsDetailed(dir, filter);
    incidents = listed.incidents;
    // A damaged file must not read as "fewer incidents": say how much of it was skipped.
    if (listed.corrupt > 0)
      io.err(
        `kerno: warning: ${listed.corrupt} corrupt line${listed.corrupt === 1 ? '' : 's'} in ${panicsPath(dir)} skipped\n`,
      );
  } catch (err) {
    const code = (err as { cause?: NodeJS.ErrnoException }).cause?.code;
    const denied = code === 'EACCES' || code === 'EPERM';
    throw new ExitError(
      `${(err as Error).message}${denied ? ' (re-run with sudo)' : ''}`,
      denied ? EXIT.PRIVILEGES : EXIT.FAILURE,
    );
  }
  if (json) {
    io.out(JSON.stringify({ count: incidents.length, incidents }, null, 2) + '\n');
    return EXIT.OK;
  }
  if (incidents.length === 0) {
    const filtered = filter.node !== undefined || filter.kind !== undefined || filter.sinceMs !== undefined;
    io.out(`no incidents recorded${filtered ? ' matching the filter' : ''} in ${panicsPath(dir)}\n`);
    return EXIT.OK;
  }
  const rows = incidents.map((i) => [i.time.replace(/\.\d+Z$/, 'Z'), i.node, i.kind, i.reason]);
  io.out(
    renderTable(['TIME', 'NODE', 'KIND', 'REASON'], rows, { color, width: outputWidth(io.stdoutIsTTY) }),
  );
  if (incidents.length === filter.limit) {
    io.err(`kerno: showing the newest ${filter.limit}; --limit shows more, -o json shows the full reports\n`);
  }
  return EXIT.OK;
}

/** false when the directory does not exist; anything else that is not a readable directory is an error. */
function isDirectory(path: string): boolean {
  let st;
  try {
    st = statSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return false;
    throw new ExitError(`state dir ${path}: ${code ?? (err as Error).message}`, EXIT.FAILURE);
  }
  if (!st.isDirectory()) throw new ExitError(`state dir ${path} is not a directory`, EXIT.FAILURE);
  return true;
}
