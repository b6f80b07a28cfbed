// `kerno audit files`: who opens, reads, writes, creates, deletes or renames the watched paths, as it happens.
// The source is fanotify (src/audit/files.ts); this module parses flags, reports paths it cannot watch,
// and streams what arrives until --duration, Ctrl+C/SIGTERM or a closed pipe.
import { Command, Option } from 'commander';
import type { AuditEvent } from '../audit/events.js';
import type { FileAudit } from '../audit/files.js';
import type { ExitedComms } from '../audit/comm.js';
import { AUDIT_HEADER, auditJsonLine, auditLine, auditSummary } from '../render/audit/lines.js';
import { parseDuration } from '../util/duration.js';
import { monotonicNs } from '../util/clock.js';
import { effectiveCapabilities } from '../util/privileges.js';
import { commandContext, ExitError } from './context.js';
import { EXIT, UsageError, type CliIO } from './io.js';
import { endOfStream } from './stream-end.js';
import type { CommandModule } from './main.js';

type Output = 'pretty' | 'json';

export interface AuditFlags {
  watch?: string[];
  sensitive?: boolean;
  duration: string;
  output?: Output;
}

/** The original's message, word for word (reference §1.6). */
export const NO_PATHS = 'no paths to watch — use --sensitive or --watch <paths>';
const DROP_REPORT_MS = 5000;
const CAP_SYS_ADMIN = 21n;

/** `--watch a,b --watch c` → [a, b, c]; empty items (a trailing comma) are ignored. */
function collectPaths(value: string, previous: string[] | undefined): string[] {
  return [
    ...(previous ?? []),
    ...value
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  ];
}

export interface AuditPlan {
  paths: string[];
  durationNs: number;
}

export function parseAuditFlags(opts: AuditFlags, sensitive: readonly string[]): AuditPlan {
  const paths = [...(opts.watch ?? []), ...(opts.sensitive ? sensitive : [])];
  if (paths.length === 0) throw new UsageError(NO_PATHS);
  let durationNs: number;
  try {
    durationNs = parseDuration(opts.duration);
  } catch (err) {
    throw new UsageError(`--duration: ${(err as Error).message}`);
  }
  return { paths, durationNs };
}

function openAudit(
  FileAuditClass: typeof FileAudit,
  paths: string[],
  io: CliIO,
): { audit: FileAudit; watched: readonly string[] } {
  let opened;
  try {
    opened = FileAuditClass.open(paths);
  } catch (err) {
    const e = err as Error & { code?: string };
    if (e.code === 'EPERM' || e.code === 'EACCES')
      throw new ExitError(
        `audit files needs root (CAP_SYS_ADMIN) for fanotify: ${e.message}`,
        EXIT.PRIVILEGES,
      );
    throw new ExitError(`audit files: ${e.message}`, EXIT.FAILURE);
  }
  // Each path that cannot be watched is said once, here; the rest are watched.
  for (const u of opened.unwatched) io.err(`kerno: warning: ${u.path}: ${u.reason}; not watched\n`);
  return { audit: opened.audit, watched: opened.audit.watched };
}

/** Optional: without it, a process gone before its event is read has no name (null). */
async function startExitedComms(io: CliIO): Promise<ExitedComms | undefined> {
  const { ExitedComms } = await import('../audit/comm.js');
  try {
    return await ExitedComms.start();
  } catch (err) {
    io.err(`kerno: warning: ${(err as Error).message}; processes that exit at once may show no name\n`);
    return undefined;
  }
}

async function runFiles(opts: AuditFlags, cmd: Command, io: CliIO): Promise<number> {
  const { FileAudit, SENSITIVE_PATHS } = await import('../audit/files.js');
  const plan = parseAuditFlags(opts, SENSITIVE_PATHS);
  const { color } = commandContext(cmd, io);
  const output: Output = opts.output ?? (io.stdoutIsTTY ? 'pretty' : 'json');
  // Without CAP_SYS_ADMIN the kernel still grants fanotify (5.13+), but hides every pid (0) and some paths:
  // an audit that cannot say who is refused rather than shown.
  if ((effectiveCapabilities() & (1n << CAP_SYS_ADMIN)) === 0n)
    throw new ExitError(
      `audit files needs root (CAP_SYS_ADMIN): without it fanotify hides which process did what (uid ${process.getuid?.()})`,
      EXIT.PRIVILEGES,
    );
  // Before the marks: a process that causes an event and exits at once must be seen exiting.
  const exited = await startExitedComms(io);
  let opened;
  try {
    opened = openAudit(FileAudit, plan.paths, io);
  } catch (err) {
    exited?.close();
    throw err;
  }
  const { audit, watched } = opened;
  if (watched.length === 0) {
    await audit.stop();
    exited?.close();
    throw new ExitError(NO_PATHS, EXIT.FAILURE);
  }
  const end = endOfStream(plan.durationNs, io);
  let count = 0;
  const write = (events: AuditEvent[]) => {
    if (end.closed()) return;
    count += events.length;
    io.out(events.map((e) => (output === 'json' ? auditJsonLine(e) : auditLine(e, color))).join(''));
  };
  audit.start(write, exited);
  const started = monotonicNs();
  end.arm();
  io.err(
    `kerno: auditing ${watched.length} path${watched.length === 1 ? '' : 's'} (${watched.join(', ')}); Ctrl+C to stop\n`,
  );
  if (output === 'pretty') io.out(AUDIT_HEADER + '\n');
  let reported = 0;
  const dropTimer = setInterval(() => {
    const { dropped } = audit.stats();
    if (dropped > reported && !end.closed())
      io.err(
        `kerno: warning: ${dropped - reported} file events dropped since the last report (${dropped} in total)\n`,
      );
    reported = dropped;
  }, DROP_REPORT_MS);
  try {
    await end.done;
  } finally {
    clearInterval(dropTimer);
    end.stop();
  }
  const stats = await audit.stop();
  exited?.close();
  const elapsed = monotonicNs() - started;
  if (!end.closed()) {
    if (output === 'json')
      io.err(
        JSON.stringify({ summary: true, events: count, dropped: stats.dropped, durationNs: elapsed }) + '\n',
      );
    else io.err(auditSummary(count, stats.dropped, elapsed));
  }
  return EXIT.OK;
}

export const auditCommand: CommandModule = {
  register(program: Command, io: CliIO, setExit: (code: number) => void) {
    const audit = program.command('audit').description('audit access to files as it happens (root)');
    audit
      .command('files')
      .description(
        'stream opens, reads, writes, creates, deletes and renames of watched paths, with pid and comm',
      )
      .option(
        '--watch <paths>',
        'paths to watch, comma-separated (repeatable); a directory watches its entries',
        collectPaths,
      )
      .option(
        '--sensitive',
        'watch the credential files too: /etc/passwd, /etc/shadow, /etc/sudoers(.d), /etc/ssh/sshd_config, /etc/ssl, /etc/pki, /root/.ssh, /root/.bash_history',
      )
      .option('-d, --duration <duration>', 'stop after this long; 0 = until Ctrl+C', '0')
      .addOption(
        new Option(
          '-o, --output <format>',
          'pretty (default on a terminal) or json (one object per line)',
        ).choices(['pretty', 'json']),
      )
      .addHelpText(
        'after',
        `
The source is fanotify: every event carries the pid of the process that caused it, and kerno reads its
name (COMM) at once ("?" / null when the process was already gone). OP is one of create, open, read,
modify, attrib, close_write, rename (with the new path) and delete. A directory is watched with its
entries, not recursively. The kernel merges identical events of one process on one file while they wait
to be read (three quick writes can be one modify line); one kernel event that stands for several ops
(cat: open + read) is one line per op, sharing "mask". kerno's own accesses are not shown.

Paths that do not exist are reported once on stderr and the others watched; with none left, kerno exits
1 with "${NO_PATHS}". -o json fields: time, path, op, pid, comm, mask, and to for a rename. A summary
(events, dropped) goes to stderr at the end. Ctrl+C, SIGTERM or --duration end it; a closed pipe
(… | head) ends it quietly with exit code 0. Needs root (CAP_SYS_ADMIN).

Examples:
  sudo kerno audit files --sensitive
  sudo kerno audit files --watch /etc/nginx,/var/www --duration 1m -o json | jq -c 'select(.op=="modify")'`,
      )
      .action(async (opts: AuditFlags, cmd: Command) => setExit(await runFiles(opts, cmd, io)));
  },
};
