// `--netconsole-listen udp://0.0.0.0:6666` (or udp://[::]:6666). Only UDP: netconsole sends nothing else.

import { isIP } from 'node:net';

export interface ListenAddress {
  host: string;
  port: number;
  family: 'udp4' | 'udp6';
}

export const DEFAULT_NETCONSOLE_PORT = 6666;

export function parseListenAddress(text: string): ListenAddress {
  const bad = (why: string) => new Error(`invalid netconsole listen address ${JSON.stringify(text)}: ${why}`);
  const m = /^udp:\/\/(?:\[([^\]]+)\]|([^:/[\]]+))(?::(\d{1,5}))?\/?$/.exec(text.trim());
  if (!m) throw bad('expected udp://HOST:PORT, e.g. udp://0.0.0.0:6666');
  const host = (m[1] ?? m[2]) as string;
  const family = isIP(host);
  if (family === 0) throw bad(`${host} is not an IP address`);
  if (m[1] !== undefined && family !== 6) throw bad('brackets are for IPv6 addresses');
  const port = m[3] === undefined ? DEFAULT_NETCONSOLE_PORT : Number(m[3]);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw bad(`port ${m[3]} is out of range 0-65535`);
  return { host, port, family: family === 6 ? 'udp6' : 'udp4' };
}
