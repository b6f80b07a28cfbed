// `kerno watch` windows → rows of cells with a tone each (pure): the one place that decides what a cell
// says and how alarming it is; the text table and the Ink view only lay the rows out.
import type { OomEvent } from '../../signals/types.js';
import type { TcpWatchConnection, TcpWatchWindow } from '../../watch/tcp.js';
import type { FdWatchWindow } from '../../watch/fd.js';
import type { Tone } from '../tone.js';
import { formatBytes, formatNs } from '../../doctor/format.js';

export interface Cell {
  text: string;
  tone: Tone;
}

export interface WatchTable {
  title: string;
  head: string[];
  rows: Cell[][];
  /** One line under the table ("12 more connections", drops), or "". */
  note: string;
}

/** The reference's RTT colours: warning from 5 ms, critical from 50 ms. */
export const RTT_WARNING_NS = 5e6;
export const RTT_CRITICAL_NS = 50e6;

export function rttTone(ns: number): Tone {
  if (ns >= RTT_CRITICAL_NS) return 'critical';
  if (ns >= RTT_WARNING_NS) return 'warning';
  return 'plain';
}

const plain = (text: string): Cell => ({ text, tone: 'plain' });

/** [v6] addresses take brackets so the port stays readable. */
export function endpoint(family: 4 | 6, addr: string, port: number): string {
  return family === 6 ? `[${addr}]:${port}` : `${addr}:${port}`;
}

function netnsLabel(c: TcpWatchConnection): string {
  return c.netnsName ? `${c.netnsName} (${c.netns})` : String(c.netns);
}

export function tcpTable(w: TcpWatchWindow, maxRows = Infinity): WatchTable {
  const shown = w.connections.slice(0, maxRows);
  const rows = shown.map((c) => [
    plain(endpoint(c.family, c.srcAddr, c.srcPort)),
    plain(endpoint(c.family, c.dstAddr, c.dstPort)),
    c.comm ? plain(c.pid ? `${c.comm} (${c.pid})` : c.comm) : { text: '-', tone: 'muted' as Tone },
    plain(netnsLabel(c)),
    { text: c.rttSamples ? formatNs(c.rttP50Ns) : '-', tone: rttTone(c.rttP50Ns) },
    { text: c.rttSamples ? formatNs(c.rttP99Ns) : '-', tone: rttTone(c.rttP99Ns) },
    { text: String(c.retransmits), tone: c.retransmits > 0 ? ('critical' as Tone) : 'plain' },
    plain(String(c.events)),
  ]);
  const notes: string[] = [];
  if (w.connections.length > shown.length)
    notes.push(`${w.connections.length - shown.length} more connections`);
  if (w.droppedByReason.map_full > 0)
    notes.push(`${w.droppedByReason.map_full} events not stored (connection map full)`);
  if (w.droppedByReason.recursion > 0)
    notes.push(`${w.droppedByReason.recursion} events missed (program already running on that CPU)`);
  if (w.connections.length === 0)
    notes.push(w.seen > 0 ? `${w.seen} connections, none matching` : 'no TCP activity');
  return {
    title: `${w.timestamp}  window ${formatNs(w.elapsedNs)}  ${w.connections.length} connections`,
    head: ['SRC', 'DST', 'COMM', 'NETNS', 'RTT P50', 'RTT P99', 'RETRANS', 'EVENTS'],
    rows,
    note: notes.join(' · '),
  };
}

function rate(perSec: number): string {
  return `${Number(perSec.toPrecision(3))}/s`;
}

export function fdTable(w: FdWatchWindow, maxRows = Infinity): WatchTable {
  const shown = w.processes.slice(0, maxRows);
  const rows = shown.map((p) => [
    plain(String(p.pid)),
    plain(p.comm),
    plain(String(p.opens)),
    plain(String(p.closes)),
    { text: p.net > 0 ? `+${p.net}` : String(p.net), tone: p.net > 0 ? ('warning' as Tone) : 'plain' },
    { text: rate(p.ratePerSec), tone: p.leak ? ('critical' as Tone) : 'plain' },
    p.leak ? { text: '!! LEAK', tone: 'critical' as Tone } : plain(''),
  ]);
  const notes: string[] = [];
  if (w.processes.length > shown.length) notes.push(`${w.processes.length - shown.length} more processes`);
  if (w.processes.length === 0) notes.push(`no process at or above ${rate(w.thresholdPerSec)}`);
  return {
    title: `${w.timestamp}  window ${formatNs(w.elapsedNs)}  threshold ${rate(w.thresholdPerSec)}`,
    head: ['PID', 'COMM', 'OPENS', 'CLOSES', 'NET', 'RATE', ''],
    rows,
    note: notes.join(' · '),
  };
}

/** One line per victim: time, victim, pid, cgroup, RSS, total VM, oom_score_adj, the allocating task. */
export function oomCells(e: OomEvent): Cell[] {
  return [
    { text: e.timestamp.replace(/\.\d+Z$/, 'Z'), tone: 'muted' },
    { text: `VICTIM ${e.comm}`, tone: 'critical' },
    plain(`PID ${e.pid}`),
    plain(`CGROUP ${e.cgroupPath || (e.cgroupId ? `id ${e.cgroupId}` : '-')}`),
    plain(`RSS ${formatBytes(e.rssBytes)}`),
    plain(`TOTAL ${formatBytes(e.totalVmBytes)}`),
    plain(`OOM_SCORE_ADJ ${e.oomScoreAdj}`),
    plain(`TRIGGERED_BY ${e.triggeredComm || '?'} (${e.triggeredPid})`),
  ];
}

export const OOM_ALERT_BANNER = '!! OOM KILL DETECTED !!';
