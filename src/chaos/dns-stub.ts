// A stub DNS resolver and glibc-resolver clients for the DNS scenarios and the dns collector's kernel test.
//
// The resolver is a small Python program (python3 is on every Debian host kerno's tests run on) in a
// network namespace of its own, over a veth pair, answering UDP and TCP on port 53. What it answers is
// decided by the query name so one resolver serves every case: "nx-…" NXDOMAIN, "fail-…" SERVFAIL,
// "refuse-…" REFUSED, "drop-…" never answered, anything else NOERROR (an A record for A queries) — and
// `--rcode` turns every ordinary name into SERVFAIL / REFUSED, `--delay-ms` delays every answer, and
// `--max-labels n` answers NXDOMAIN for longer names (what search-path expansion asks first). It counts
// what it received and answered: the ground truth kerno's counts are compared with.
//
// The clients are real software: Python's socket.getaddrinfo is glibc's getaddrinfo, so the queries are
// what the glibc stub resolver sends (its retries, timeouts, search-path expansion from resolv.conf).
// `ip netns exec` bind-mounts /etc/netns/<ns>/resolv.conf over /etc/resolv.conf, which points them at the
// stub. Each client times its own lookups (its ground truth for latency) and prints them as JSON lines.
import { mkdirSync, writeFileSync } from 'node:fs';
import { run } from './proc.js';
import type { ChaosSession } from './session.js';
import type { WorkerProcess } from './worker.js';

export const DNS_STUB_PY = String.raw`
import ctypes, json, selectors, signal, socket, struct, sys, threading, time, heapq, argparse
p = argparse.ArgumentParser()
p.add_argument('--bind', action='append', default=[])
p.add_argument('--port', type=int, default=53)
p.add_argument('--delay-ms', type=float, default=0)
p.add_argument('--rcode', default='noerror')
p.add_argument('--comm', default='kchaos-dnsstub')
p.add_argument('--max-labels', type=int, default=0)
a = p.parse_args()
ctypes.CDLL(None).prctl(15, a.comm.encode()[:15], 0, 0, 0)
RC = {'noerror': 0, 'servfail': 2, 'nxdomain': 3, 'refused': 5}
lock = threading.Lock()
stats = {'udpQueries': 0, 'tcpQueries': 0, 'noerror': 0, 'nxdomain': 0, 'servfail': 0, 'refused': 0, 'dropped': 0}
NAMES = {v: k for k, v in RC.items()}

def qname(msg):
    i, labels = 12, []
    while i < len(msg) and msg[i] != 0:
        n = msg[i]; labels.append(msg[i + 1:i + 1 + n].decode('ascii', 'replace')); i += 1 + n
    return '.'.join(labels).lower(), i + 5

def answer(msg):
    """The response to msg, or None to stay silent."""
    if len(msg) < 12: return None
    qid, flags = struct.unpack('>HH', msg[:4])
    name, end = qname(msg)
    first = name.split('.')[0]
    if first.startswith('drop-'):
        with lock: stats['dropped'] += 1
        return None
    deep = a.max_labels > 0 and len(name.split('.')) > a.max_labels
    rcode = 3 if first.startswith('nx-') or deep else 2 if first.startswith('fail-') else 5 if first.startswith('refuse-') else RC[a.rcode]
    qtype = struct.unpack('>H', msg[end - 4:end - 2])[0] if end <= len(msg) else 0
    an = b''
    if rcode == 0 and qtype == 1:
        an = b'\xc0\x0c' + struct.pack('>HHIH', 1, 1, 0, 4) + bytes([192, 0, 2, 1])
    with lock: stats[NAMES[rcode]] += 1
    return struct.pack('>HHHHHH', qid, 0x8180 | (flags & 0x0100) | rcode, 1, 1 if an else 0, 0, 0) + msg[12:end] + an

sel = selectors.DefaultSelector()
udp = []
for addr in a.bind:
    fam = socket.AF_INET6 if ':' in addr else socket.AF_INET
    u = socket.socket(fam, socket.SOCK_DGRAM); u.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    u.bind((addr, a.port)); sel.register(u, selectors.EVENT_READ, 'udp'); udp.append(u)
    t = socket.socket(fam, socket.SOCK_STREAM); t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    t.bind((addr, a.port)); t.listen(64); sel.register(t, selectors.EVENT_READ, 'tcp')

def serve_tcp(c):
    try:
        while True:
            h = c.recv(2, socket.MSG_WAITALL)
            if len(h) < 2: return
            msg = c.recv(struct.unpack('>H', h)[0], socket.MSG_WAITALL)
            with lock: stats['tcpQueries'] += 1
            r = answer(msg)
            if r is None: continue
            time.sleep(a.delay_ms / 1000)
            c.sendall(struct.pack('>H', len(r)) + r)
    except OSError:
        pass
    finally:
        c.close()

stop = False
def on_term(*_):
    global stop
    stop = True
signal.signal(signal.SIGTERM, on_term)
signal.signal(signal.SIGINT, on_term)
print(json.dumps({'event': 'ready'}), flush=True)
pending = []  # (due, seq, sock, data, addr): delayed UDP answers
seq = 0
while not stop:
    timeout = max(0, pending[0][0] - time.monotonic()) if pending else 0.5
    for key, _ in sel.select(min(timeout, 0.5)):
        if key.data == 'udp':
            msg, peer = key.fileobj.recvfrom(4096)
            with lock: stats['udpQueries'] += 1
            r = answer(msg)
            if r is not None:
                seq += 1; heapq.heappush(pending, (time.monotonic() + a.delay_ms / 1000, seq, key.fileobj, r, peer))
        else:
            c, _ = key.fileobj.accept()
            threading.Thread(target=serve_tcp, args=(c,), daemon=True).start()
    now = time.monotonic()
    while pending and pending[0][0] <= now:
        _, _, s, r, peer = heapq.heappop(pending)
        try: s.sendto(r, peer)
        except OSError: pass
with lock: print(json.dumps({'event': 'done', **stats}), flush=True)
`;

export const DNS_CLIENT_PY = String.raw`
import ctypes, json, signal, socket, sys, time, argparse
p = argparse.ArgumentParser()
p.add_argument('--names', required=True)
p.add_argument('--count', type=int, default=0)
p.add_argument('--interval-ms', type=float, default=0)
p.add_argument('--family', type=int, default=4)
p.add_argument('--comm', default='kchaos-dnscli')
a = p.parse_args()
ctypes.CDLL(None).prctl(15, a.comm.encode()[:15], 0, 0, 0)
fam = {4: socket.AF_INET, 6: socket.AF_INET6, 0: socket.AF_UNSPEC}[a.family]
names = a.names.split(',')
stop = False
def on_term(*_):
    global stop
    stop = True
signal.signal(signal.SIGTERM, on_term)
print(json.dumps({'event': 'ready'}), flush=True)
ms, res, n = [], {'ok': 0, 'noname': 0, 'again': 0, 'other': 0}, 0
while not stop and (a.count == 0 or n < a.count):
    name = names[n % len(names)]; n += 1
    t0 = time.monotonic()
    try:
        socket.getaddrinfo(name, None, fam, socket.SOCK_STREAM); r = 'ok'
    except socket.gaierror as e:
        r = 'noname' if e.errno in (socket.EAI_NONAME, getattr(socket, 'EAI_NODATA', -5)) else 'again' if e.errno == socket.EAI_AGAIN else 'other'
    ms.append((time.monotonic() - t0) * 1000); res[r] += 1
    if a.interval_ms: time.sleep(a.interval_ms / 1000)
s = sorted(ms)
q = lambda f: s[min(len(s) - 1, max(0, int(-(-f * len(s) // 1)) - 1))] if s else 0
print(json.dumps({'event': 'done', 'lookups': len(ms), **res, 'p50Ms': q(0.5), 'p99Ms': q(0.99), 'maxMs': max(ms, default=0), 'minMs': min(ms, default=0)}), flush=True)
`;

/** Addresses of the stub (srv) and client (cli) ends, IPv4 in 198.18.0.0/15 and IPv6 ULA, by run id. */
export function dnsAddresses(id: string): { cli4: string; srv4: string; cli6: string; srv6: string } {
  const idx = parseInt(id, 16) % 8192;
  const base = ((198 << 24) >>> 0) + (18 << 16) + idx * 4;
  const ip = (n: number) => [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
  const hex = (parseInt(id, 16) & 0xffff).toString(16);
  return { cli4: ip(base + 1), srv4: ip(base + 2), cli6: `fd6b:${hex}::1`, srv6: `fd6b:${hex}::53` };
}

export interface DnsLab {
  cliNs: string;
  srvNs: string;
  addrs: ReturnType<typeof dnsAddresses>;
}

/**
 * Two namespaces joined by a veth pair (created inside them, never in the host's namespace), each
 * registered with the session for cleanup by name, and the client namespace's resolv.conf.
 */
export async function createDnsLab(
  s: ChaosSession,
  resolvConf: (addrs: DnsLab['addrs']) => string,
): Promise<DnsLab> {
  const lab: DnsLab = { cliNs: s.name('dnscli'), srvNs: s.name('dnssrv'), addrs: dnsAddresses(s.id) };
  for (const n of [lab.cliNs, lab.srvNs]) {
    s.register({ kind: 'netns', name: n });
    await run('ip', ['netns', 'add', n]);
    await run('ip', ['-n', n, 'link', 'set', 'lo', 'up']);
  }
  await run('ip', [
    '-n',
    lab.cliNs,
    'link',
    'add',
    'cli0',
    'type',
    'veth',
    'peer',
    'name',
    'srv0',
    'netns',
    lab.srvNs,
  ]);
  const a = lab.addrs;
  for (const [n, dev, v4, v6] of [
    [lab.cliNs, 'cli0', a.cli4, a.cli6],
    [lab.srvNs, 'srv0', a.srv4, a.srv6],
  ] as const) {
    await run('ip', ['-n', n, 'addr', 'add', `${v4}/30`, 'dev', dev]);
    // nodad: the address is usable at once instead of after duplicate address detection (~2 s).
    await run('ip', ['-n', n, 'addr', 'add', `${v6}/64`, 'dev', dev, 'nodad']);
    await run('ip', ['-n', n, 'link', 'set', dev, 'up']);
  }
  writeResolvConf(s, lab.cliNs, resolvConf(a));
  return lab;
}

/** /etc/netns/<ns>/resolv.conf, which `ip netns exec` bind-mounts over /etc/resolv.conf. */
export function writeResolvConf(s: ChaosSession, ns: string, text: string): void {
  const dir = `/etc/netns/${ns}`;
  s.register({ kind: 'path', path: dir });
  mkdirSync(dir, { recursive: true });
  writeFileSync(`${dir}/resolv.conf`, text);
}

export interface StubSpec {
  delayMs?: number;
  rcode?: 'noerror' | 'servfail' | 'refused';
  /** Names with more labels than this are NXDOMAIN (0 = no limit). */
  maxLabels?: number;
}

export async function startStub(s: ChaosSession, lab: DnsLab, spec: StubSpec = {}): Promise<WorkerProcess> {
  const argv = ['netns', 'exec', lab.srvNs, 'python3', '-c', DNS_STUB_PY];
  argv.push('--bind', lab.addrs.srv4, '--bind', lab.addrs.srv6);
  argv.push('--delay-ms', String(spec.delayMs ?? 0), '--rcode', spec.rcode ?? 'noerror');
  argv.push('--max-labels', String(spec.maxLabels ?? 0));
  const stub = s.startCommand('ip', argv, 'kchaos-dnsstub');
  await stub.ready();
  return stub;
}

export interface ClientSpec {
  names: string[];
  /** Lookups to make, 0 = until stopped. */
  count?: number;
  intervalMs?: number;
  /** Address family asked of getaddrinfo: 4 sends A queries only, 6 AAAA only, 0 both. */
  family?: 0 | 4 | 6;
  comm?: string;
  /** The namespace whose /etc/netns resolv.conf the client uses. */
  netns: string;
  /** RES_OPTIONS for glibc (e.g. "use-vc": queries over TCP), added to resolv.conf's options. */
  resOptions?: string;
}

/** `ip netns exec` execs the program (no fork): the tracked pid is the client's own, as kerno sees it. */
export async function startClient(s: ChaosSession, spec: ClientSpec): Promise<WorkerProcess> {
  const comm = spec.comm ?? 'kchaos-dnscli';
  // env(1) and ip netns exec both exec: the tracked pid stays the client's.
  const env = spec.resOptions !== undefined ? ['env', `RES_OPTIONS=${spec.resOptions}`] : [];
  const argv = ['netns', 'exec', spec.netns, ...env, 'python3', '-c', DNS_CLIENT_PY];
  argv.push('--names', spec.names.join(','), '--count', String(spec.count ?? 0));
  argv.push('--interval-ms', String(spec.intervalMs ?? 0), '--family', String(spec.family ?? 4));
  argv.push('--comm', comm);
  const c = s.startCommand('ip', argv, comm);
  await c.ready();
  return c;
}
