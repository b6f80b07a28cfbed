// The names of what chaos runs create: every resource carries `kerno-chaos-` (or `kerno_chaos_`, or a
// `kc<id>` veth end) and its run id, so removal can prove a name is ours before touching it.

export const NAME_PREFIX = 'kerno-chaos-';
export const NFT_PREFIX = 'kerno_chaos_';

export type ChaosResource =
  | { kind: 'process'; pid: number; startTime: number; comm: string }
  | { kind: 'cgroup'; dir: string }
  | { kind: 'netns'; name: string }
  | { kind: 'link'; name: string }
  | { kind: 'nft-table'; family: string; name: string; netns?: string }
  | { kind: 'path'; path: string }
  /** Loop devices attached to `backing` (a kerno-chaos file, or a loop device that is backed by one). */
  | { kind: 'loop'; backing: string }
  /** A blkio throttle rule for device `dev` (maj:min of one of our loop devices) written into `file`. */
  | { kind: 'io-throttle'; file: string; dev: string };

const ID_RE = /^[0-9a-f]{8}$/;
/** kerno-chaos-<id>, kerno-chaos-<tag>-<id>, kerno_chaos_<id> */
const NAME_ID_RE = /^kerno[-_]chaos[-_](?:[a-z]+[-_])?([0-9a-f]{8})$/;
/** veth ends: kc<id>h (host side), kc<id>n (namespace side); IFNAMSIZ leaves no room for the full prefix. */
const LINK_RE = /^kc([0-9a-f]{8})[hn]$/;

/** A host-side or namespace-side veth end of a chaos run. */
export function isChaosLinkName(name: string): boolean {
  return LINK_RE.test(name);
}

export function isValidRunId(id: string): boolean {
  return ID_RE.test(id);
}

/** The run id embedded in a chaos resource name, or undefined if the name is not one of ours. */
export function runIdOfName(name: string): string | undefined {
  return NAME_ID_RE.exec(name)?.[1] ?? LINK_RE.exec(name)?.[1];
}

export function resourceName(id: string, tag?: string): string {
  return tag ? `${NAME_PREFIX}${tag}-${id}` : `${NAME_PREFIX}${id}`;
}

export function nftTableName(id: string): string {
  return `${NFT_PREFIX}${id}`;
}

export function vethNames(id: string): { host: string; peer: string } {
  return { host: `kc${id}h`, peer: `kc${id}n` };
}

/** Refuses anything that does not carry our prefix: the last line of defence against removing a user's file. */
export function assertOurs(kind: string, name: string): void {
  if (runIdOfName(name) === undefined)
    throw new Error(`refusing to remove ${kind} "${name}": not a kerno-chaos name`);
}

export function describeResource(r: ChaosResource): string {
  switch (r.kind) {
    case 'process':
      return `process ${r.pid} (${r.comm})`;
    case 'cgroup':
      return `cgroup ${r.dir}`;
    case 'netns':
      return `network namespace ${r.name}`;
    case 'link':
      return `link ${r.name}`;
    case 'nft-table':
      return `nft table ${r.family} ${r.name}${r.netns ? ` (netns ${r.netns})` : ''}`;
    case 'path':
      return `path ${r.path}`;
    case 'loop':
      return `loop devices on ${r.backing}`;
    case 'io-throttle':
      return `I/O throttle for ${r.dev} in ${r.file}`;
  }
}
