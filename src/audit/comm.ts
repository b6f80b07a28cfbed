// The names of processes that already ended (bpf/audit.bpf.c): fanotify says only "pid", and a process such
// as `cat` can exit and be reaped before kerno reads /proc/<pid>/comm for its event.
import { BpfObject } from '../bpf/object.js';
import { bpfObjectPath } from '../bpf/paths.js';
import { toBpfError } from '../bpf/errors.js';

export class ExitedComms {
  private constructor(private readonly obj: BpfObject) {}

  static async start(): Promise<ExitedComms> {
    const obj = BpfObject.open(bpfObjectPath('audit'));
    try {
      await obj.load();
      obj.attachAll();
      return new ExitedComms(obj);
    } catch (err) {
      obj.close();
      const e = toBpfError(err, { object: obj.path });
      e.message = `process names at exit: ${e.message}`;
      throw e;
    }
  }

  /** The name the process `pid` had when it ended, if it ended while this ran. */
  lookup(pid: number): string | null {
    const key = Buffer.alloc(4);
    key.writeUInt32LE(pid);
    const v = this.obj.map('exited_comm').lookup(key);
    if (!v) return null;
    const end = v.indexOf(0);
    return v.subarray(0, end < 0 ? v.length : end).toString('utf8');
  }

  close(): void {
    this.obj.close();
  }
}
