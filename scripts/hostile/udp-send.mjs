/* global Buffer, console, process, setImmediate */
// Sends kernel-panic lines over UDP to a netconsole receiver on loopback (scripts/verify.sh phase hostile,
// bench/netconsole-flood). Usage:
//   node udp-send.mjs PORT LINES SOURCE_PORTS DISTINCT [PAUSE_EVERY] [FIRST]
// LINES lines in total, spread round-robin over SOURCE_PORTS sockets; line i is panic number i % DISTINCT
// (with a fixed printk timestamp per panic, so repeats of one panic have one incident id).
import { createSocket } from 'node:dgram';

const [port, lines, ports, distinct, pauseEvery = 500, first = 1000] = process.argv.slice(2).map(Number);
const socks = [];
for (let i = 0; i < ports; i++) {
  const s = createSocket('udp4');
  await new Promise((r) => s.bind(0, '127.0.0.1', r));
  socks.push(s);
}
const send = (s, buf) => new Promise((r) => s.send(buf, port, '127.0.0.1', () => r()));
const t0 = Date.now();
for (let i = 0; i < lines; i++) {
  const n = first + (i % distinct);
  const ts = n.toFixed(6).padStart(12, ' ');
  await send(socks[i % ports], Buffer.from(`[${ts}] Kernel panic - not syncing: kerno hostile test ${n}\n`));
  // Yield now and then so the sender does not starve the loopback receiver of CPU on a 2-CPU machine.
  if (pauseEvery > 0 && i % pauseEvery === pauseEvery - 1) await new Promise((r) => setImmediate(r));
}
console.log(JSON.stringify({ sent: lines, ports, distinct, ms: Date.now() - t0 }));
for (const s of socks) s.close();
