// Fixture loading and a real UDP sender for the netconsole tests.
import { readFileSync } from 'node:fs';
import { createSocket, type Socket } from 'node:dgram';
import { join } from 'node:path';

export const FIXTURES = join(import.meta.dirname, '../../fixtures/netconsole');

/** A plain-mode console log: one printk line per packet, as netconsole's write_msg sends them. */
export function plainPackets(name: string): Buffer[] {
  return readFileSync(join(FIXTURES, name), 'utf8')
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => Buffer.from(l + '\n'));
}

/** An extended-mode capture: one JSON string per line, each a datagram payload. */
export function extendedPackets(name: string): Buffer[] {
  return readFileSync(join(FIXTURES, name), 'utf8')
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => Buffer.from(JSON.parse(l) as string, 'utf8'));
}

export function fixtureLines(name: string): string[] {
  return readFileSync(join(FIXTURES, name), 'utf8')
    .split('\n')
    .filter((l) => l.length > 0);
}

/** A UDP socket bound to `address` (127.0.0.x: a distinct sender per address on loopback). */
export async function udpSender(address = '127.0.0.1'): Promise<{
  send(buf: Buffer, port: number): Promise<void>;
  close(): Promise<void>;
  port: number;
  socket: Socket;
}> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(0, address, () => resolve());
  });
  return {
    socket,
    port: socket.address().port,
    send: (buf, port) =>
      new Promise<void>((resolve, reject) =>
        socket.send(buf, port, '127.0.0.1', (err) => (err ? reject(err) : resolve())),
      ),
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}

/** Poll `cond` every 10 ms until true or `ms` elapse (bounded wait, generous limit). */
export async function waitFor(cond: () => boolean, ms = 10_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
