// Non-blocking reader over /dev/kmsg. Each read() returns exactly one record; EAGAIN means "caught up";
// EPIPE means records we had not read yet were overwritten in the ring buffer (the next read continues at
// the oldest record still there), so it is counted and reading goes on. Reads are O_NONBLOCK syscalls of a
// few microseconds, so draining on the event loop is fine; `maxRecords` bounds one drain anyway.

import { closeSync, constants, openSync, readSync } from 'node:fs';

export const KMSG_PATH = '/dev/kmsg';

// The kernel refuses a read buffer smaller than the record (EINVAL); records are at most ~8 KiB
// (CONSOLE_EXT_LOG_MAX) including the dictionary.
const RECORD_BUFFER_BYTES = 16 * 1024;

export interface DrainResult {
  records: string[];
  /** EPIPE results: at least one record each was lost to ring-buffer overwrite. */
  overwritten: number;
  /** True when the drain stopped at maxRecords rather than at EAGAIN. */
  more: boolean;
}

export class KmsgReader {
  private fd: number | undefined;
  private readonly buf = Buffer.alloc(RECORD_BUFFER_BYTES);

  constructor(readonly path: string = KMSG_PATH) {}

  open(): void {
    if (this.fd !== undefined) return;
    try {
      this.fd = openSync(this.path, constants.O_RDONLY | constants.O_NONBLOCK);
    } catch (err) {
      throw new Error(`open ${this.path}: ${(err as Error).message}`, { cause: err });
    }
  }

  drain(maxRecords = 100_000): DrainResult {
    const out: DrainResult = { records: [], overwritten: 0, more: false };
    const fd = this.fd;
    if (fd === undefined) return out;
    while (out.records.length < maxRecords) {
      let n: number;
      try {
        n = readSync(fd, this.buf, 0, this.buf.length, null);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'EAGAIN' || code === 'EWOULDBLOCK') return out;
        if (code === 'EPIPE') {
          out.overwritten++;
          continue;
        }
        if (code === 'EINTR') continue;
        throw new Error(`read ${this.path}: ${(err as Error).message}`, { cause: err });
      }
      if (n === 0) return out;
      out.records.push(this.buf.toString('utf8', 0, n));
    }
    out.more = true;
    return out;
  }

  close(): void {
    if (this.fd === undefined) return;
    const fd = this.fd;
    this.fd = undefined;
    closeSync(fd);
  }
}
