// A bulk TCP transfer between two network namespaces, as tcp-loss and tcp-rtt both run one: a receiver
// (kchaos-tcprecv) in one namespace, a sender (kchaos-tcpsend) pushing parallel streams from the other.
// Each connection and the sending process are announced as subjects as soon as they exist.
import type { WorkerProcess } from '../worker.js';
import type { ChaosSubject, ScenarioContext, ScenarioResult } from '../types.js';

export interface BulkTcpSpec {
  sendNs: string;
  recvNs: string;
  /** The receiver's address in recvNs. */
  dstAddr: string;
  port: number;
  streams: number;
}

export async function startBulkTcp(
  ctx: ScenarioContext,
  result: ScenarioResult,
  spec: BulkTcpSpec,
): Promise<{ sender: WorkerProcess; receiver: WorkerProcess }> {
  const s = ctx.session;
  const receiver = s.startWorker({
    mode: 'tcp-recv',
    comm: 'kchaos-tcprecv',
    netns: spec.recvNs,
    args: { bind: spec.dstAddr, port: spec.port },
  });
  await receiver.ready();
  const sender = s.startWorker({
    mode: 'tcp-send',
    comm: 'kchaos-tcpsend',
    netns: spec.sendNs,
    args: { connect: spec.dstAddr, port: spec.port, streams: spec.streams, chunk: 65536 },
  });
  sender.onEvent((e) => {
    if (e.event !== 'connected' || typeof e.local !== 'string') return;
    const [srcAddr, srcPort] = e.local.split(':');
    const c: ChaosSubject = {
      kind: 'connection',
      srcAddr: srcAddr!,
      srcPort: Number(srcPort),
      dstAddr: spec.dstAddr,
      dstPort: spec.port,
      netns: spec.sendNs,
      peerNetns: spec.recvNs,
    };
    result.subjects.push(c);
    ctx.onSubject(c);
  });
  await sender.ready();
  const proc = { kind: 'process', pid: sender.pid, comm: 'kchaos-tcpsend' } as const;
  result.subjects.push(proc);
  ctx.onSubject(proc);
  return { sender, receiver };
}
