// Two network namespaces joined by a user-space delay line, for tests that need a known RTT: this kernel
// has no netem (CONFIG_NET_SCH_NETEM is off) and no qdisc that delays. A Python relay holds two tun devices,
// one moved into each namespace, and forwards every packet after `delayMs` (so RTT ≈ 2 × delayMs),
// dropping `lossPct` % of the packets going from a to b (data, for a sender in a). IPv4 and IPv6.
// Everything is named kerno-test-<pid>-<tag>-* and removed by name (namespaces) and by PID (relay).
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';

export interface DelayLine {
  a: string;
  b: string;
  addrA: string;
  addrB: string;
  addr6A: string;
  addr6B: string;
  relay: ChildProcess;
  teardown(): void;
}

const RELAY = `
import os, fcntl, struct, select, time, random, sys, heapq
TUNSETIFF = 0x400454ca
IFF_TUN, IFF_NO_PI = 0x0001, 0x1000
def tun(name):
    fd = os.open("/dev/net/tun", os.O_RDWR | os.O_NONBLOCK)
    fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", name.encode(), IFF_TUN | IFF_NO_PI))
    return fd
a, b = tun(sys.argv[1]), tun(sys.argv[2])
delay, loss = float(sys.argv[3]) / 1000, float(sys.argv[4]) / 100
peer = {a: b, b: a}
q, seq = [], 0
print("ready", flush=True)
while True:
    timeout = max(0.0, q[0][0] - time.monotonic()) if q else 1.0
    r, _, _ = select.select([a, b], [], [], timeout)
    for fd in r:
        while True:
            try:
                pkt = os.read(fd, 65536)
            except BlockingIOError:
                break
            if fd == a and loss and random.random() < loss:
                continue
            heapq.heappush(q, (time.monotonic() + delay, seq, peer[fd], pkt))
            seq += 1
    now = time.monotonic()
    while q and q[0][0] <= now:
        _, _, fd, pkt = heapq.heappop(q)
        try:
            os.write(fd, pkt)
        except OSError:
            pass
`;

function run(args: string[]): void {
  execFileSync(args[0]!, args.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] });
}

export async function createDelayLine(tag: string, delayMs: number, lossPct: number): Promise<DelayLine> {
  const id = `${process.pid}-${tag}`;
  const a = `kerno-test-${id}-a`;
  const b = `kerno-test-${id}-b`;
  // interface names are limited to 15 characters
  const ta = `ktd${process.pid % 100000}${tag.slice(0, 2)}a`;
  const tb = `ktd${process.pid % 100000}${tag.slice(0, 2)}b`;
  const relay = spawn('python3', ['-c', RELAY, ta, tb, String(delayMs), String(lossPct)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const line: DelayLine = {
    a,
    b,
    addrA: '10.232.0.1',
    addrB: '10.232.0.2',
    addr6A: 'fd00:6b65:726e::1',
    addr6B: 'fd00:6b65:726e::2',
    relay,
    teardown() {
      if (relay.exitCode === null && relay.signalCode === null) relay.kill('SIGKILL');
      for (const ns of [a, b]) {
        try {
          run(['ip', 'netns', 'del', ns]);
        } catch {
          /* already gone */
        }
      }
    },
  };
  process.once('exit', () => line.teardown());
  try {
    const [chunk] = (await once(relay.stdout!, 'data')) as [Buffer];
    if (!chunk.toString().includes('ready')) throw new Error(`delay line relay: ${chunk.toString()}`);
    run(['ip', 'netns', 'add', a]);
    run(['ip', 'netns', 'add', b]);
    for (const [ns, dev, v4, v6] of [
      [a, ta, line.addrA, line.addr6A],
      [b, tb, line.addrB, line.addr6B],
    ] as const) {
      // The relay's file descriptors stay attached to the tun devices across the move.
      run(['ip', 'link', 'set', dev, 'netns', ns]);
      run(['ip', '-n', ns, 'addr', 'add', `${v4}/24`, 'dev', dev]);
      run(['ip', '-n', ns, '-6', 'addr', 'add', `${v6}/64`, 'dev', dev, 'nodad']);
      run(['ip', '-n', ns, 'link', 'set', dev, 'up']);
      run(['ip', '-n', ns, 'link', 'set', 'lo', 'up']);
    }
    return line;
  } catch (err) {
    line.teardown();
    throw err;
  }
}
