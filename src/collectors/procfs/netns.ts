// Every network namespace on the host, found through the processes that live in them.
//
// Each namespace has its own TCP MIB (/proc/net/snmp shows only the reader's), so a pod's or container's
// traffic is invisible to a collector that reads its own. /proc/<pid>/ns/net names a process's namespace
// ("net:[4026532281]", the nsfs inode — the same number BPF reads from sk->__sk_common.skc_net.net->ns.inum),
// and /proc/<pid>/net/snmp shows that namespace's MIB. One process per distinct inode is enough; a few
// spares are kept in case the first exits between the scan and the read. Namespaces created with
// `ip netns add` and no process inside are listed by their bind mounts under /run/netns (stat's inode is
// the namespace inode) so that a namespace which later gains a process is not mistaken for a new one.
import { readlinkSync } from 'node:fs';
import { readdir, readFile, readlink, stat } from 'node:fs/promises';
import { mapSliced } from './sliced.js';

export const NETNS_RUN_DIR = '/run/netns';

export interface NetNamespace {
  /** nsfs inode of the namespace. */
  inode: number;
  /** Up to SPARE_PIDS processes living in it, lowest pid first. */
  pids: number[];
}

export interface NetnsScan {
  /** Namespaces with at least one process, by inode. */
  withProcesses: Map<number, NetNamespace>;
  /** Inodes of /run/netns bind mounts (with or without processes). */
  named: Map<number, string>;
  /** Inode of the namespace pid 1 lives in: "the host". */
  hostInode: number;
  /** Processes whose namespace link was read. */
  processes: number;
}

const SPARE_PIDS = 3;

/** "net:[4026531840]" → 4026531840; undefined when not that shape. */
export function parseNsLink(link: string): number | undefined {
  const m = /^net:\[(\d+)\]$/.exec(link);
  return m ? Number(m[1]) : undefined;
}

function nsInodeOfSync(procDir: string): number | undefined {
  try {
    return parseNsLink(readlinkSync(`${procDir}/ns/net`));
  } catch {
    return undefined; // exited, or a kernel thread we may not inspect
  }
}

async function nsInodeOf(pid: number | 'self'): Promise<number | undefined> {
  try {
    return parseNsLink(await readlink(`/proc/${pid}/ns/net`));
  } catch {
    return undefined; // exited, or a kernel thread we may not inspect
  }
}

/** `ip netns` names by namespace inode (bind mounts under `dir`). */
export async function namedNamespaces(dir: string = NETNS_RUN_DIR): Promise<Map<number, string>> {
  const out = new Map<number, string>();
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return out; // no `ip netns` namespaces on this host
  }
  for (const name of names) {
    try {
      out.set((await stat(`${dir}/${name}`)).ino, name);
    } catch {
      // removed meanwhile, or a stale file whose namespace is gone (stat of an unmounted file is its own inode)
    }
  }
  return out;
}

/** One pass over /proc: which namespaces exist and a few processes in each. */
export async function scanNetNamespaces(opts: { proc?: string; runDir?: string } = {}): Promise<NetnsScan> {
  const proc = opts.proc ?? '/proc';
  const entries = (await readdir(proc)).filter((n) => /^\d+$/.test(n)).map(Number);
  entries.sort((a, b) => a - b);
  const inodes = await mapSliced(entries, (pid) => nsInodeOfSync(`${proc}/${pid}`));
  const withProcesses = new Map<number, NetNamespace>();
  let processes = 0;
  entries.forEach((pid, i) => {
    const inode = inodes[i];
    if (inode === undefined) return;
    processes++;
    const ns = withProcesses.get(inode);
    if (ns === undefined) withProcesses.set(inode, { inode, pids: [pid] });
    else if (ns.pids.length < SPARE_PIDS) ns.pids.push(pid);
  });
  const hostInode = (await nsInodeOf(1)) ?? (await nsInodeOf('self')) ?? 0;
  return { withProcesses, named: await namedNamespaces(opts.runDir ?? NETNS_RUN_DIR), hostInode, processes };
}

/** The inode of the namespace pid 1 lives in ("the host"), 0 when unreadable. */
export async function hostNetnsInode(): Promise<number> {
  return (await nsInodeOf(1)) ?? (await nsInodeOf('self')) ?? 0;
}

/** The cgroup a process lives in: the unified (v2) line, else the v1 memory (or first named) line. */
export async function cgroupOfPid(pid: number): Promise<string | undefined> {
  let text: string;
  try {
    text = await readFile(`/proc/${pid}/cgroup`, 'utf8');
  } catch {
    return undefined;
  }
  let unified: string | undefined;
  let memory: string | undefined;
  let first: string | undefined;
  for (const line of text.split('\n')) {
    const [id, controllers, path] = line.split(':', 3) as [string?, string?, string?];
    if (path === undefined) continue;
    if (id === '0' && controllers === '') unified = path;
    else if (controllers?.split(',').includes('memory')) memory = path;
    first ??= path;
  }
  // On a hybrid v1/v2 host the unified line is "/" for everyone: the v1 memory path says more.
  if (unified !== undefined && unified !== '/') return unified;
  return memory ?? unified ?? first;
}

/** The process name of `pid`, or undefined once it exited. */
export async function commOfPid(pid: number): Promise<string | undefined> {
  try {
    return (await readFile(`/proc/${pid}/comm`, 'utf8')).trimEnd();
  } catch {
    return undefined;
  }
}
