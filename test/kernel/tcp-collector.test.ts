// tcp collector against the kernel's own counters: a bulk transfer across a lossy veth link between two
// network namespaces. The retransmitted segments kerno attributes to the connection must equal the
// RetransSegs delta of the sender's namespace (/proc/<pid>/net/snmp of a process inside it).
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { requireKernel } from '../helpers/kernel.js';
import { createNetnsPair } from '../helpers/netns.js';
import { TcpCollector } from '../../src/collectors/tcp.js';
import { readTcpCounters } from '../../src/collectors/procfs/net-snmp.js';
import type { CollectorContext } from '../../src/collectors/types.js';

before(() => requireKernel());

const ctx = (): CollectorContext => ({
  signal: new AbortController().signal,
  fault: (e) => assert.fail(String(e)),
  log: () => {},
});

const RECEIVER = `
import socket
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", 5201)); s.listen(1); print("listening", flush=True)
c, _ = s.accept()
while c.recv(1 << 16): pass
`;
// The sender waits for "go" on stdin so the test can read its namespace's counters first.
const SENDER = (addr: string, bytes: number) => `
import socket, sys
sys.stdin.readline()
s = socket.create_connection(("${addr}", 5201))
buf = b"x" * 65536
sent = 0
while sent < ${bytes}: sent += s.send(buf)
s.shutdown(socket.SHUT_WR); s.recv(1); s.close()
print("done", flush=True)
`;

test('retransmits across a 10 % lossy link match the sender namespace RetransSegs delta', async () => {
  const net = createNetnsPair('tcp', 10);
  const c = new TcpCollector();
  const recv = spawn('ip', ['netns', 'exec', net.b, 'python3', '-c', RECEIVER], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    await once(recv.stdout!, 'data');
    await c.start(ctx());
    const send = spawn('ip', ['netns', 'exec', net.a, 'python3', '-c', SENDER(net.addrB, 8 << 20)], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    // Listen for the exit now: the sender exits right after printing "done", possibly while this test is
    // still reading its counters, and an 'exit' emitted before once() listens would never resolve.
    const exited = once(send, 'exit');
    // `ip netns exec` execs python in place, so send.pid is the python process inside namespace A.
    await new Promise((r) => setTimeout(r, 300));
    const before = await readTcpCounters(send.pid!);
    send.stdin!.write('go\n');
    await once(send.stdout!, 'data');
    const after = await readTcpCounters(send.pid!);
    send.stdin!.end();
    await exited;
    const { tcp } = await c.snapshot(1e9);
    const truth = after.retransSegs - before.retransSegs;
    const conn = tcp!.topRetransmitters.filter((x) => x.srcAddr === net.addrA && x.dstAddr === net.addrB);
    const seen = conn.reduce((s, x) => s + x.retransmits, 0);
    assert.ok(truth > 10, `the lossy link really caused retransmits (${truth})`);
    // Segment counts from the tracepoint (gso_segs of each retransmitted skb) and the MIB counter measure
    // the same thing; the MIB also counts SYN/FIN retransmits of the connection, also seen by the
    // tracepoint. Exact equality is the expectation.
    assert.equal(seen, truth, `kerno ${seen} vs RetransSegs delta ${truth}`);
    assert.equal(conn[0]!.dstPort, 5201);
    assert.equal(conn[0]!.comm, 'python3', 'attributed to the connecting process');
    assert.ok(conn[0]!.srttNs > 0, 'smoothed RTT recorded at retransmit');
    assert.ok(tcp!.rtt.count > 0 && tcp!.rtt.p50 > 0, 'RTT histogram sampled');
  } finally {
    recv.kill('SIGKILL');
    await c.stop();
    net.teardown();
  }
});
