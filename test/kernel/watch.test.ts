// `kerno watch tcp | oom | fd` end to end (the CLI, -o json, real programs) against ground truth:
//   tcp  a delay line (10 ms each way, 5 % loss a→b; no netem on this kernel: test/helpers/delay-line.ts)
//        between two kerno-test namespaces; a sender in a talks to b over IPv4 and IPv6. Every retransmitted
//        segment of the sender's namespace (nstat RetransSegs) is attributed to its two connections, in
//        namespace a, to the sending process; RTT p50 matches the kernel's srtt as `ss` samples it.
//   oom  a process exceeding a kerno-test memory cgroup is reported with its pid, cgroup and oom_score_adj.
//   fd   a child opening 50 fds/s → rate ≈ 50/s (±20 %) and LEAK; one opening and closing → no leak; a
//        window with no suspect is an empty array.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmdirSync, statSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { createServer, connect, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { requireKernel } from '../helpers/kernel.js';
import { createDelayLine } from '../helpers/delay-line.js';
import { packageRoot } from '../../src/bpf/paths.js';
import type { TcpWatchConnection } from '../../src/watch/tcp.js';
import type { FdWatchProcess } from '../../src/watch/fd.js';

before(() => requireKernel());

interface Watch {
  child: ChildProcess;
  lines: unknown[];
  /** Resolves once the programs are attached (the stderr status line). */
  attached: Promise<void>;
  exited: Promise<[number | null, string | null]>;
  stderr(): string;
}

/** `kerno watch <args> -o json` from the sources; stdout parsed line by line. */
function watch(args: string[]): Watch {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(packageRoot(), 'bin', 'kerno.ts'), 'watch', ...args, '-o', 'json'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const lines: unknown[] = [];
  let buf = '';
  child.stdout!.on('data', (d: Buffer) => {
    buf += d.toString();
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      lines.push(JSON.parse(buf.slice(0, i)));
      buf = buf.slice(i + 1);
    }
  });
  let err = '';
  const attached = new Promise<void>((resolve, reject) => {
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      if (err.includes('kerno: watching')) resolve();
    });
    child.once('exit', () => reject(new Error(`kerno watch exited before attaching: ${err}`)));
  });
  attached.catch(() => {});
  const exited = once(child, 'exit') as Promise<[number | null, string | null]>;
  return { child, lines, attached, exited, stderr: () => err };
}

/**
 * RetransSegs (every retransmitted segment the stack counted), TCPRetransFail (attempts that failed) and
 * TCPLossProbes (tail-loss probes, some of which retransmit the last segment).
 */
function nstatRetrans(ns: string): { segs: number; fail: number; probes: number } {
  const out = execFileSync(
    'ip',
    ['netns', 'exec', ns, 'nstat', '-asz', 'TcpRetransSegs', 'TcpExtTCPRetransFail', 'TcpExtTCPLossProbes'],
    {
      encoding: 'utf8',
    },
  );
  const get = (name: string) => Number(new RegExp(`^${name}\\s+(\\d+)`, 'm').exec(out)?.[1] ?? NaN);
  return {
    segs: get('TcpRetransSegs'),
    fail: get('TcpExtTCPRetransFail'),
    probes: get('TcpExtTCPLossProbes'),
  };
}

/** Waits (≤ 15 s) until no connection in the namespace is still closing, so none sends more. */
async function settled(ns: string): Promise<void> {
  const busy = () =>
    execFileSync(
      'ip',
      [
        'netns',
        'exec',
        ns,
        'ss',
        '-Htan',
        'state',
        'last-ack',
        'state',
        'fin-wait-1',
        'state',
        'closing',
        'state',
        'syn-sent',
      ],
      { encoding: 'utf8' },
    ).trim();
  const deadline = Date.now() + 15_000;
  while (busy() !== '') {
    assert.ok(Date.now() < deadline, `connections in ${ns} still closing after 15 s: ${busy()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const RECEIVER = `
import socket, threading
def serve(fam, addr):
    s = socket.socket(fam)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if fam == socket.AF_INET6:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    s.bind(addr); s.listen(4)
    while True:
        c, _ = s.accept()
        threading.Thread(target=drain, args=(c,), daemon=True).start()
def drain(c):
    while c.recv(1 << 16): pass
    c.close()
threading.Thread(target=serve, args=(socket.AF_INET, ("0.0.0.0", 5201)), daemon=True).start()
threading.Thread(target=serve, args=(socket.AF_INET6, ("::", 5202)), daemon=True).start()
print("listening", flush=True)
threading.Event().wait()
`;

// Both connections at once; prints "<family> <local port>" for each, then "done", then waits to be told
// to exit (so the test can read its comm).
const SENDER = (v4: string, v6: string, bytes: number) => `
import socket, sys, threading, time
lock = threading.Lock()
sys.stdin.readline()
def send(fam, addr):
    s = socket.socket(fam)
    s.connect(addr)
    # One write per line: print() writes its parts separately, and the two threads' lines interleaved.
    with lock:
        sys.stdout.write(f"{fam.name} {s.getsockname()[1]}\\n"); sys.stdout.flush()
    buf = b"x" * 32768
    sent = 0
    while sent < ${bytes}:  # paced, ~1 MB/s: a transfer long enough for ss to sample its RTT many times
        sent += s.send(buf)
        time.sleep(0.03)
    s.shutdown(socket.SHUT_WR); s.recv(1); s.close()
ts = [threading.Thread(target=send, args=a) for a in ((socket.AF_INET, ("${v4}", 5201)), (socket.AF_INET6, ("${v6}", 5202)))]
for t in ts: t.start()
for t in ts: t.join()
print("done", flush=True)
sys.stdin.readline()
`;

/** Smoothed RTT (ms) of each established socket in a namespace, by local port (`ss -ti`). */
function ssRttByPort(ns: string): Map<number, number> {
  const out = new Map<number, number>();
  const text = execFileSync('ip', ['netns', 'exec', ns, 'ss', '-Htin', 'state', 'established'], {
    encoding: 'utf8',
  });
  let port: number | undefined;
  for (const l of text.split('\n')) {
    const addr = /^(?:[A-Z-]+\s+)?\d+\s+\d+\s+\S*:(\d+)\s/.exec(l); // Recv-Q Send-Q local:port …
    if (addr) port = Number(addr[1]);
    const rtt = /\brtt:([\d.]+)\//.exec(l);
    if (rtt && port !== undefined) out.set(port, Number(rtt[1]));
  }
  return out;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s[Math.floor(s.length / 2)]!;
}

/** A loopback server and a client exchanging 64 KiB ten times over a second; resolves with the port. */
async function loopbackTraffic(): Promise<number> {
  const server = createServer((sock) => sock.pipe(sock));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
  const client = connect(port, '127.0.0.1');
  await once(client, 'connect');
  client.on('data', () => {});
  for (let i = 0; i < 10; i++) {
    client.write(Buffer.alloc(64 << 10));
    await new Promise((r) => setTimeout(r, 100));
  }
  client.end();
  server.close();
  return port;
}

interface TcpTick {
  timestamp: string;
  interval: string;
  intervalNs: number;
  elapsedNs: number;
  dropped: number;
  droppedByReason: { map_full: number; recursion: number };
  connections: TcpWatchConnection[];
}

test('watch tcp: retransmits and RTT per connection, IPv4 and IPv6, in the sender’s network namespace', async (t) => {
  const line = await createDelayLine('wt', 10, 5);
  const inodeA = statSync(`/run/netns/${line.a}`).ino;
  const recv = spawn('ip', ['netns', 'exec', line.b, 'python3', '-c', RECEIVER], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let w: Watch | undefined;
  let filtered: Watch | undefined;
  let send: ChildProcess | undefined;
  let loopPort = 0;
  try {
    await once(recv.stdout!, 'data');
    w = watch(['tcp', '--interval', '1s', '--duration', '20s']);
    // The same traffic through the filters: only retransmitting connections with RTT p99 ≥ 15 ms.
    filtered = watch([
      'tcp',
      '--interval',
      '1s',
      '--duration',
      '20s',
      '--retransmits',
      '--threshold-rtt',
      '15ms',
    ]);
    await Promise.all([w.attached, filtered.attached]);
    // Loopback traffic in the host namespace (sub-millisecond RTT, no loss): in w, never in filtered.
    loopPort = await loopbackTraffic();
    const before = nstatRetrans(line.a);
    send = spawn('ip', ['netns', 'exec', line.a, 'python3', '-c', SENDER(line.addrB, line.addr6B, 3 << 20)], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    const sendExited = once(send, 'exit');
    let out = '';
    send.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    send.stdin!.write('go\n');
    const deadline = Date.now() + 15_000;
    // Ground truth for RTT: the kernel's own smoothed RTT per socket as `ss` shows it, sampled every 100 ms
    // during the transfer (the delay line adds 2 × 10 ms, plus its scheduling on a loaded host).
    const ssRtt = new Map<number, number[]>();
    while (!out.includes('done')) {
      assert.ok(Date.now() < deadline, `the transfer finished within 15 s (${out})`);
      for (const [port, ms] of ssRttByPort(line.a)) ssRtt.set(port, [...(ssRtt.get(port) ?? []), ms]);
      await new Promise((r) => setTimeout(r, 100));
    }
    // `ip netns exec` execs python in place: send.pid is the sender, living in namespace a.
    const comm = readFileSync(`/proc/${send.pid}/comm`, 'utf8').trim();
    const port4 = Number(/AF_INET (\d+)/.exec(out)![1]);
    const port6 = Number(/AF_INET6 (\d+)/.exec(out)![1]);
    send.stdin!.end();
    await sendExited;
    await settled(line.b);
    await settled(line.a);
    const nowCounts = nstatRetrans(line.a);
    const truth = nowCounts.segs - before.segs;
    const failed = nowCounts.fail - before.fail;
    const probes = nowCounts.probes - before.probes;
    const [code] = await w.exited;
    assert.equal(code, 0, `kerno watch tcp exit code (stderr: ${w.stderr()})`);
    const ticks = w.lines as TcpTick[];
    assert.ok(ticks.length >= 15, `one JSON line per 1 s window (${ticks.length})`);
    for (const tk of ticks) {
      assert.equal(tk.interval, '1s');
      assert.equal(tk.droppedByReason.map_full, 0, 'no event lost to a full map');
      assert.equal(tk.dropped, tk.droppedByReason.map_full + tk.droppedByReason.recursion);
      assert.ok(Array.isArray(tk.connections));
    }

    let seen = 0;
    for (const [family, src, dst, port, dport] of [
      [4, line.addrA, line.addrB, port4, 5201],
      [6, line.addr6A, line.addr6B, port6, 5202],
    ] as const) {
      const rows = ticks.flatMap((tk) =>
        tk.connections.filter((c) => c.srcAddr === src && c.srcPort === port && c.dstAddr === dst),
      );
      assert.ok(rows.length > 0, `IPv${family} connection ${src}:${port} seen`);
      for (const c of rows) {
        assert.equal(c.family, family);
        assert.equal(c.dstPort, dport);
        assert.equal(c.netns, inodeA, 'the connection is in the sender’s namespace');
        assert.equal(c.netnsName, line.a);
        assert.equal(c.pid, send.pid, 'attributed to the sending process');
        assert.equal(c.comm, comm);
      }
      const retrans = rows.reduce((s, c) => s + c.retransmits, 0);
      const segs = rows.reduce((s, c) => s + c.retransSegs, 0);
      seen += segs;
      assert.ok(retrans > 0, `IPv${family}: retransmits over the lossy link (${retrans})`);
      // The busiest window's median: the delay line adds 10 ms each way.
      const busiest = rows.reduce((a, b) => (b.rttSamples > a.rttSamples ? b : a));
      t.diagnostic(
        `IPv${family} ${src}:${port}: ${rows.length} windows, ${retrans} retransmits (${segs} segments), ` +
          `busiest window p50 ${(busiest.rttP50Ns / 1e6).toFixed(2)} ms p99 ${(busiest.rttP99Ns / 1e6).toFixed(2)} ms ` +
          `over ${busiest.rttSamples} samples`,
      );
      assert.ok(busiest.rttSamples >= 20, `RTT sampled per segment (${busiest.rttSamples})`);
      const truthMs = median(ssRtt.get(port) ?? []);
      t.diagnostic(
        `IPv${family}: ss srtt median ${truthMs.toFixed(2)} ms over ${ssRtt.get(port)?.length ?? 0} samples`,
      );
      assert.ok(truthMs >= 20, `ss saw the delay line's RTT (${truthMs} ms)`);
      // One histogram bucket (6.25 %) plus the difference between ss's instants and kerno's per-segment samples.
      assert.ok(
        Math.abs(busiest.rttP50Ns / 1e6 - truthMs) <= truthMs * 0.15,
        `IPv${family} RTT p50 ${busiest.rttP50Ns / 1e6} ms vs ss ${truthMs} ms`,
      );
      assert.ok(busiest.rttP99Ns >= busiest.rttP50Ns);
    }
    // Namespace a holds only the sender: every segment it retransmitted belongs to these two connections,
    // and each socket's own counter (total_retrans, what kerno reports) adds up to the namespace's
    // RetransSegs — tail-loss probes and attempts the device refused included, and retransmits whose
    // tracepoint run reached no program too (6.18 did that to 1–2 of ~230 segments in 5 of 16 runs, with
    // recursion_misses 0: the tracepoint alone fell short of RetransSegs in CI, 252 vs 253 and 242 vs 243).
    const missed = ticks.reduce((n, tk) => n + tk.droppedByReason.recursion, 0);
    t.diagnostic(
      `retransmitted segments: kerno ${seen}, nstat in ${line.a}: RetransSegs ${truth}, ` +
        `TCPRetransFail ${failed}, TCPLossProbes ${probes}; runs kerno reported missed ${missed}`,
    );
    assert.ok(truth > 5, `the lossy link really caused retransmits (${truth})`);
    assert.equal(seen, truth, `kerno's retransmitted segments vs RetransSegs in ${line.a}`);
    const loop = ticks.flatMap((tk) =>
      tk.connections.filter((c) => c.dstPort === loopPort && c.dstAddr === '127.0.0.1'),
    );
    assert.ok(loop.length > 0, 'the loopback connection is listed without filters');
    assert.equal(loop[0]!.netnsName, 'host');
    assert.equal(loop[0]!.pid, process.pid, 'owned by this test process');
    // (Loopback may itself retransmit once — a tail-loss probe — so only its sub-ms RTT is certain.)
    assert.ok(
      loop.every((c) => c.rttP99Ns < 15e6),
      'loopback RTT is below the 15 ms threshold',
    );
    const [fcode] = await filtered!.exited;
    assert.equal(fcode, 0, filtered!.stderr());
    const frows = (filtered!.lines as TcpTick[]).flatMap((tk) => tk.connections);
    for (const c of frows) {
      assert.ok(c.retransmits > 0, `--retransmits: ${JSON.stringify(c)}`);
      assert.ok(c.rttP99Ns >= 15e6, `--threshold-rtt 15ms: ${JSON.stringify(c)}`);
    }
    assert.ok(!frows.some((c) => c.dstPort === loopPort), 'the loopback connection is filtered out');
    for (const port of [port4, port6])
      assert.ok(
        frows.some((c) => c.srcPort === port),
        `lossy connection :${port} passes the filters`,
      );
    // Sorted: retransmits descending, then p99 descending.
    for (const tk of ticks)
      for (let i = 1; i < tk.connections.length; i++) {
        const [a, b] = [tk.connections[i - 1]!, tk.connections[i]!];
        assert.ok(
          a.retransmits > b.retransmits || (a.retransmits === b.retransmits && a.rttP99Ns >= b.rttP99Ns),
        );
      }
  } finally {
    send?.kill('SIGKILL');
    w?.child.kill('SIGKILL');
    filtered?.child.kill('SIGKILL');
    recv.kill('SIGKILL');
    line.teardown();
  }
});

const V1 = '/sys/fs/cgroup/memory';

test('watch oom: the victim of a kerno-test memory cgroup, with its pid, cgroup and oom_score_adj', async () => {
  assert.ok(existsSync(`${V1}/memory.limit_in_bytes`), 'the host has the cgroup v1 memory controller');
  const name = `kerno-test-watch-oom-${process.pid}`;
  const dir = `${V1}/${name}`;
  mkdirSync(dir);
  let w: Watch | undefined;
  try {
    writeFileSync(`${dir}/memory.limit_in_bytes`, String(32 << 20));
    w = watch(['oom', '--threshold', '400', '--duration', '30s']);
    await w.attached;
    // The shell joins the cgroup and raises its oom_score_adj, then execs the allocator (same pid).
    const child = spawn(
      'sh',
      [
        '-c',
        `echo $$ > ${dir}/cgroup.procs && echo 500 > /proc/self/oom_score_adj && exec python3 -c "b = bytearray(256 << 20)"`,
      ],
      { stdio: 'ignore' },
    );
    const [, signal] = (await once(child, 'exit')) as [number | null, string | null];
    assert.equal(signal, 'SIGKILL', 'the kernel OOM-killed the child');
    const deadline = Date.now() + 5000;
    while (w.lines.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    w.child.kill('SIGTERM');
    const [code] = await w.exited;
    assert.equal(code, 0, 'SIGTERM ends the watch cleanly');
    const mine = (w.lines as Record<string, unknown>[]).filter((e) => e.pid === child.pid);
    assert.equal(mine.length, 1, `one line for the victim (${JSON.stringify(w.lines)})`);
    const e = mine[0]!;
    assert.equal(e.comm, 'python3');
    assert.equal(e.cgroupPath, `/${name}`);
    assert.equal(e.oomScoreAdj, 500);
    assert.equal(e.triggeredByPid, child.pid, 'the victim itself was allocating');
    assert.ok((e.rssBytes as number) > 16 << 20 && (e.rssBytes as number) <= 40 << 20, `rss ${e.rssBytes}`);
    assert.ok((e.totalBytes as number) >= (e.rssBytes as number));
  } finally {
    w?.child.kill('SIGKILL');
    for (let i = 0; i < 50 && existsSync(dir); i++) {
      try {
        rmdirSync(dir);
      } catch {
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }
});

// Opens (and, when balanced, closes) /dev/null at `rate` per second on an absolute schedule for `seconds`,
// after "go"; prints the wall-clock start and end.
const FD_CHILD = (rate: number, seconds: number, balanced: boolean) => `
import os, sys, time
sys.stdin.readline()
t0 = time.monotonic()
print("start", time.time(), flush=True)
kept = []
for i in range(${rate * seconds}):
    fd = os.open("/dev/null", os.O_RDONLY)
    ${balanced ? 'os.close(fd)' : 'kept.append(fd)'}
    d = t0 + (i + 1) / ${rate} - time.monotonic()
    if d > 0: time.sleep(d)
print("end", time.time(), flush=True)
sys.stdin.readline()
`;

interface FdTick {
  timestamp: string;
  elapsedNs: number;
  thresholdPerSec: number;
  processes: FdWatchProcess[];
}

test('watch fd: 50 opens/s → rate ≈ 50/s and LEAK; opening and closing as fast → no leak', async (t) => {
  const RATE = 50;
  const SECONDS = 6;
  const leaker = spawn('python3', ['-c', FD_CHILD(RATE, SECONDS, false)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const balanced = spawn('python3', ['-c', FD_CHILD(RATE, SECONDS, true)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const w = watch(['fd', '--interval', '1s', '--duration', '10s', '--all']);
  try {
    await w.attached;
    let out = '';
    leaker.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    leaker.stdin!.write('go\n');
    balanced.stdin!.write('go\n');
    const [code] = await w.exited;
    assert.equal(code, 0, w.stderr());
    const start = Number(/start ([\d.]+)/.exec(out)![1]) * 1000;
    const end = Number(/end ([\d.]+)/.exec(out)![1]) * 1000;
    const ticks = w.lines as FdTick[];
    assert.ok(ticks.length >= 8, `one line per window (${ticks.length})`);
    let inside = 0;
    let net = 0;
    for (const tk of ticks) {
      assert.equal(tk.thresholdPerSec, 10);
      const l = tk.processes.find((p) => p.pid === leaker.pid);
      const b = tk.processes.find((p) => p.pid === balanced.pid);
      net += l?.net ?? 0;
      if (b) {
        assert.equal(b.leak, false, `balanced child never a leak: ${JSON.stringify(b)}`);
        assert.ok(Math.abs(b.net) <= 1, `balanced net ${b.net}`);
      }
      const wEnd = Date.parse(tk.timestamp);
      const wStart = wEnd - tk.elapsedNs / 1e6;
      if (wStart < start || wEnd > end) continue; // the window only partly covers the activity
      inside++;
      assert.ok(l, 'the leaking child is listed in a window inside its activity');
      t.diagnostic(`window ${tk.timestamp}: leaker ${l.opens} opens, rate ${l.ratePerSec.toFixed(1)}/s`);
      assert.ok(Math.abs(l.ratePerSec - RATE) <= RATE * 0.2, `rate ${l.ratePerSec} ≈ ${RATE}/s ±20 %`);
      assert.equal(l.leak, true, 'at or above the 10/s threshold: LEAK');
      assert.ok(b && b.opens >= RATE * 0.8 * (tk.elapsedNs / 1e9), 'the balanced child was as busy');
    }
    assert.ok(inside >= 3, `at least three windows inside the 6 s of activity (${inside})`);
    // Every descriptor the leaker kept is counted once, across its windows (python's start-up is balanced
    // but for its own few descriptors).
    assert.ok(net >= RATE * SECONDS && net <= RATE * SECONDS + 10, `net ${net} vs ${RATE * SECONDS} kept`);
  } finally {
    w.child.kill('SIGKILL');
    leaker.kill('SIGKILL');
    balanced.kill('SIGKILL');
  }
});

test('watch fd: a window with no leak suspect is an empty array, not a crash', async () => {
  const w = watch(['fd', '--interval', '200ms', '--duration', '1100ms', '--threshold', '1000000000']);
  await w.attached;
  const [code] = await w.exited;
  assert.equal(code, 0, w.stderr());
  assert.ok(w.lines.length >= 4, `${w.lines.length} windows`);
  for (const tk of w.lines as FdTick[]) assert.deepEqual(tk.processes, []);
});
