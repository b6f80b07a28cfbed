// `kerno watch -o json`: one JSON object per line (a tick, or an OOM victim), so `jq -c` and log shippers
// read the stream as it comes. Field names follow the reference (§1.5) plus what kerno adds (family, pid,
// netns, …); an empty window is an empty array, never a missing key.
import type { OomEvent } from '../../signals/types.js';
import type { TcpWatchWindow } from '../../watch/tcp.js';
import type { FdWatchWindow } from '../../watch/fd.js';
import { formatNs } from '../../doctor/format.js';

export function tcpJsonLine(w: TcpWatchWindow): string {
  return (
    JSON.stringify({
      timestamp: w.timestamp,
      interval: formatNs(w.intervalNs),
      intervalNs: w.intervalNs,
      elapsedNs: w.elapsedNs,
      dropped: w.droppedByReason.map_full + w.droppedByReason.recursion,
      droppedByReason: w.droppedByReason,
      connections: w.connections,
    }) + '\n'
  );
}

export function fdJsonLine(w: FdWatchWindow): string {
  return (
    JSON.stringify({
      timestamp: w.timestamp,
      interval: formatNs(w.intervalNs),
      intervalNs: w.intervalNs,
      elapsedNs: w.elapsedNs,
      thresholdPerSec: w.thresholdPerSec,
      processes: w.processes,
    }) + '\n'
  );
}

export function oomJsonLine(e: OomEvent): string {
  return (
    JSON.stringify({
      timestamp: e.timestamp,
      pid: e.pid,
      comm: e.comm,
      cgroupId: e.cgroupId,
      cgroupPath: e.cgroupPath,
      rssBytes: e.rssBytes,
      totalBytes: e.totalVmBytes,
      oomScoreAdj: e.oomScoreAdj,
      triggeredByPid: e.triggeredPid,
      triggeredByComm: e.triggeredComm,
    }) + '\n'
  );
}
