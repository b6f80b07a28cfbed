// `kerno audit files` source: one fanotify group in FID mode (Linux 5.17+ for FAN_RENAME). fanotify is the
// kernel's own file-event source and, unlike inotify, reports the pid of every event; kerno reads the
// process name at that moment. A BPF source is not used: kprobes/fentry/LSM (which see the struct file) do
// not attach on every kernel, and syscall tracepoints only see path strings and fds.
import { statSync } from 'node:fs';
import { resolve as resolvePath } from 'node:path';
import { native, type RawFanEvent, type RawFanInfo, type RawFanotifyReader } from '../bpf/native.js';
import { DIR_MASK, FAN, FILE_MASK, decode, type AuditEvent } from './events.js';
import type { ExitedComms } from './comm.js';

/** The credential and configuration files `--sensitive` adds (reference §1.6). */
export const SENSITIVE_PATHS: readonly string[] = [
  '/etc/passwd',
  '/etc/shadow',
  '/etc/sudoers',
  '/etc/sudoers.d',
  '/etc/ssh/sshd_config',
  '/etc/ssl',
  '/etc/pki',
  '/root/.ssh',
  '/root/.bash_history',
];

const FAN_CLOEXEC = 0x1;
const FAN_NONBLOCK = 0x2;
const FAN_CLASS_NOTIF = 0x0;
const FAN_REPORT_FID = 0x200;
const FAN_REPORT_DFID_NAME = 0x400 | 0x800;
/** Dirent events also name the entry itself: where a file renamed out of a watched directory went. */
const FAN_REPORT_TARGET_FID = 0x1000;
const FAN_MARK_ADD = 0x1;
const O_RDONLY_CLOEXEC = 0x80000;

export interface Unwatched {
  path: string;
  reason: string;
}

export interface AuditStats {
  events: number;
  /** Events lost: the kernel queue overflowed (16384 unread), or kerno fell behind delivering them. */
  dropped: number;
}

/** A failure of the source itself (not of one path): the caller maps it to an exit code. */
export class AuditSourceError extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
  ) {
    super(message);
    this.name = 'AuditSourceError';
  }
}

/** Absolute, without duplicates, in the order given. */
export function normalizePaths(paths: readonly string[]): string[] {
  return [...new Set(paths.map((p) => resolvePath(p)))];
}

function reasonOf(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'no such file or directory';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  return (err as Error).message;
}

export class FileAudit {
  private reader: RawFanotifyReader | undefined;
  private overflows = 0;
  private stopped = false;

  private constructor(
    private readonly fd: number,
    /** fanotify file identifier → the path it was watched as. */
    private readonly known: Map<string, string>,
    readonly watched: readonly string[],
  ) {}

  /**
   * Marks every path that exists; the others come back in `unwatched` (the caller reports each once).
   * Throws AuditSourceError when fanotify itself is unavailable (not root, an old kernel).
   */
  static open(paths: readonly string[]): { audit: FileAudit; unwatched: Unwatched[] } {
    const n = native();
    let fd: number;
    try {
      fd = n.fanotifyInit(
        FAN_CLOEXEC |
          FAN_NONBLOCK |
          FAN_CLASS_NOTIF |
          FAN_REPORT_FID |
          FAN_REPORT_DFID_NAME |
          FAN_REPORT_TARGET_FID,
        O_RDONLY_CLOEXEC,
      );
    } catch (err) {
      const e = err as Error & { code?: string };
      throw new AuditSourceError(e.message, e.code);
    }
    const known = new Map<string, string>();
    const watched: string[] = [];
    const unwatched: Unwatched[] = [];
    try {
      for (const path of normalizePaths(paths)) {
        try {
          const dir = statSync(path).isDirectory();
          n.fanotifyMark(fd, FAN_MARK_ADD, dir ? DIR_MASK : FILE_MASK, path);
          known.set(n.fileHandle(path), path);
          watched.push(path);
        } catch (err) {
          const e = err as Error & { code?: string };
          // FAN_RENAME (5.17) is what an older kernel refuses: the whole source, not this path.
          if (e.code === 'EINVAL')
            throw new AuditSourceError(`${e.message} (fanotify needs Linux 5.17+)`, e.code);
          unwatched.push({ path, reason: reasonOf(err) });
        }
      }
    } catch (err) {
      n.closeFd(fd);
      throw err;
    }
    return { audit: new FileAudit(fd, known, watched), unwatched };
  }

  /**
   * Starts reading: `onEvents` gets each batch, in the kernel's order. `exited` names the processes that
   * were gone by the time their event was read.
   */
  start(onEvents: (events: AuditEvent[]) => void, exited?: ExitedComms): void {
    const n = native();
    // A directory kerno did not mark (a file renamed out of a watched one): its path, if the kernel knows it.
    const resolveHandle = (info: RawFanInfo): string | null => {
      const fsid = info.key.slice(0, info.key.indexOf(':'));
      for (const [key, path] of this.known)
        if (key.startsWith(fsid + ':')) return n.pathOfHandle(path, info.handleType, info.handle);
      return null;
    };
    this.reader = new n.FanotifyReader(this.fd, (raws: RawFanEvent[]) => {
      if (this.stopped) return;
      const out: AuditEvent[] = [];
      for (const raw of raws) {
        if (raw.mask & FAN.Q_OVERFLOW) this.overflows++;
        if (raw.comm === null && raw.pid > 0 && exited) raw.comm = exited.lookup(raw.pid);
        out.push(...decode(raw, this.known, resolveHandle, process.pid));
      }
      if (out.length) onEvents(out);
    });
  }

  stats(): AuditStats {
    const s = this.reader?.stats();
    return { events: s?.events ?? 0, dropped: (s?.droppedEvents ?? 0) + this.overflows };
  }

  /**
   * Reads what is already queued and delivers it, then closes the group (its marks go with it). After this,
   * `onEvents` is not called again.
   */
  async stop(): Promise<AuditStats> {
    if (this.stopped) return this.stats();
    const reader = this.reader;
    reader?.stop();
    // The reader's last batches are queued to this thread: let them through before closing.
    for (let i = 0; reader && reader.stats().pending > 0 && i < 1000; i++)
      await new Promise((r) => setImmediate(r));
    const stats = this.stats();
    this.stopped = true;
    native().closeFd(this.fd);
    return stats;
  }
}
