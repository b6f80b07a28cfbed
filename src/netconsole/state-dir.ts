// The state directory (<state-dir>/panics.jsonl, the webhook cursor) must be a writable directory on a real
// filesystem. Checked before anything is created, with async calls only (a SIGTERM during the check is
// honoured), and created one level at a time: Node's recursive mkdir retries ENOENT from a pseudo
// filesystem forever (`--state-dir /proc/sys/kerno` spun at 95 % CPU). The directory is created 0700: the
// files hold kernel log text (addresses, call traces) that Debian keeps root-only (dmesg_restrict).

import { access, constants, mkdir, stat, statfs } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';

export const STATE_DIR_MODE = 0o700;
export const STATE_FILE_MODE = 0o600;

export class StateDirError extends Error {
  override readonly name = 'StateDirError';
}

/** statfs f_type of filesystems that hold no files of ours (include/uapi/linux/magic.h). */
const PSEUDO_FS: ReadonlyMap<number, string> = new Map([
  [0x9fa0, 'procfs'],
  [0x62656572, 'sysfs'],
  [0x64626720, 'debugfs'],
  [0x74726163, 'tracefs'],
  [0x73636673, 'securityfs'],
  [0x27e0eb, 'cgroupfs'],
  [0x63677270, 'cgroup2'],
  [0xcafe4a11, 'bpffs'],
  [0x62656570, 'configfs'],
  [0x1cd1, 'devpts'],
  [0x6165676c, 'pstore'],
  [0xde5e81e4, 'efivarfs'],
  [0x42494e4d, 'binfmt_misc'],
  [0x19800202, 'mqueue'],
  [0x50495045, 'pipefs'],
  [0x534f434b, 'sockfs'],
  [0x6e736673, 'nsfs'],
]);

function code(err: unknown): string {
  return (err as NodeJS.ErrnoException).code ?? (err as Error).message;
}

function reason(err: unknown): string {
  switch (code(err)) {
    case 'EROFS':
      return 'read-only filesystem (EROFS)';
    case 'EACCES':
    case 'EPERM':
      return `permission denied (${code(err)})`;
    case 'ENOTDIR':
      return 'a path component is not a directory (ENOTDIR)';
    case 'ENOSPC':
      return 'no space left on device (ENOSPC)';
    default:
      return code(err);
  }
}

/** The deepest existing directory on the way to `dir`, and the components still to create below it. */
async function existingAncestor(dir: string, fail: (why: string) => never): Promise<[string, string[]]> {
  const missing: string[] = [];
  let cur = dir;
  for (;;) {
    try {
      const st = await stat(cur);
      if (!st.isDirectory()) fail(cur === dir ? 'not a directory' : `${cur} is not a directory`);
      return [cur, missing];
    } catch (err) {
      if (err instanceof StateDirError) throw err;
      if (code(err) !== 'ENOENT') fail(`${cur}: ${reason(err)}`);
      const parent = dirname(cur);
      if (parent === cur) fail('no existing parent directory');
      missing.unshift(cur);
      cur = parent;
    }
  }
}

/**
 * Make sure `dir` is a writable directory on a disk filesystem, creating it (0700) if needed (with
 * `create: false`, as `kerno preflight` asks, only that it could be). Throws a StateDirError whose message is
 * one line naming the directory and what is wrong with it.
 */
export async function prepareStateDir(
  input: string,
  { create = true }: { create?: boolean } = {},
): Promise<string> {
  const fail = (why: string): never => {
    throw new StateDirError(`state directory ${JSON.stringify(input)}: ${why}`);
  };
  if (input.trim() === '') fail('empty path');
  const dir = resolve(input);
  const [ancestor, missing] = await existingAncestor(dir, fail);
  let fs: { type: number };
  try {
    fs = await statfs(ancestor);
  } catch (err) {
    return fail(`statfs ${ancestor}: ${reason(err)}`);
  }
  const pseudo = PSEUDO_FS.get(fs.type);
  if (pseudo !== undefined)
    fail(`${ancestor} is on ${pseudo}, not a filesystem that can hold files (use e.g. /var/lib/kerno)`);
  try {
    await access(ancestor, constants.W_OK | constants.X_OK);
  } catch (err) {
    fail(`${ancestor === dir ? 'not writable' : `cannot create it in ${ancestor}`}: ${reason(err)}`);
  }
  if (!create) return dir;
  for (const d of missing) {
    try {
      await mkdir(d, { mode: STATE_DIR_MODE });
    } catch (err) {
      if (code(err) !== 'EEXIST') fail(`mkdir ${d}: ${reason(err)}`);
    }
  }
  if (missing.length > 0) {
    const st = await stat(dir).catch((err: unknown) => fail(`${reason(err)}`));
    if (!st.isDirectory()) fail('not a directory');
  }
  return dir;
}
