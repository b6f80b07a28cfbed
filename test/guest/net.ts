// A network for one guest: a tap device inside a network namespace this test owns (named kerno-guest-*),
// so the guest's packets never reach the host's interfaces. QEMU and any host-side peer (the netconsole
// receiver) run in that namespace with nsenter, which — unlike `ip netns exec` — leaves /sys and the cgroup
// mounts as they are.
import { execFileSync } from 'node:child_process';

export interface GuestNet {
  netns: string;
  tap: string;
  hostIp: string;
  guestIp: string;
  prefix: number;
  hostMac: string;
  /** prefix for a host-side command to run inside the namespace */
  nsenter: string[];
  teardown(): void;
}

function ip(args: string[]): string {
  return execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

export function createGuestNet(tag: string): GuestNet {
  const netns = `kerno-guest-${process.pid}-${tag}`;
  // interface names are limited to 15 characters
  const tap = `kgt${process.pid % 100000}${tag.slice(0, 3)}`.slice(0, 15);
  const net: GuestNet = {
    netns,
    tap,
    hostIp: '10.232.0.1',
    guestIp: '10.232.0.2',
    prefix: 24,
    hostMac: '',
    nsenter: ['nsenter', `--net=/run/netns/${netns}`, '--'],
    teardown() {
      try {
        ip(['netns', 'del', netns]);
      } catch {
        /* already gone */
      }
    },
  };
  try {
    ip(['netns', 'add', netns]);
    ip(['-n', netns, 'link', 'set', 'lo', 'up']);
    ip(['-n', netns, 'tuntap', 'add', 'dev', tap, 'mode', 'tap']);
    ip(['-n', netns, 'addr', 'add', `${net.hostIp}/${net.prefix}`, 'dev', tap]);
    ip(['-n', netns, 'link', 'set', tap, 'up']);
    const link = ip(['-n', netns, '-o', 'link', 'show', tap]);
    const mac = /link\/ether ([0-9a-f:]{17})/.exec(link);
    if (!mac) throw new Error(`no MAC address on ${tap}: ${link.trim()}`);
    net.hostMac = mac[1]!;
    process.once('exit', () => net.teardown());
    return net;
  } catch (err) {
    net.teardown();
    throw new Error(`guest network ${netns}: ${(err as Error).message.split('\n')[0]}`);
  }
}
