// Fix steps are meant to be copy-pasted: anything taken from the host (a comm, a cgroup path with systemd's
// `\x2d` escapes) is quoted so the command does what it says.

const SAFE = /^[A-Za-z0-9_/.:@%+=,-]+$/;

/** The argument as-is when it is shell-safe, single-quoted otherwise. */
export function sh(arg: string): string {
  if (arg !== '' && SAFE.test(arg)) return arg;
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** A comma-separated pid list of the processes named `comm` (strace -p and perf -p accept it). */
export function pidsOf(comm: string): string {
  return `"$(pgrep -d, -x ${sh(comm)})"`;
}
