// `--netconsole-listen udp://0.0.0.0:6666` (or udp://[::]:6666). Only UDP: netconsole sends nothing else.
// The syntax is shared with the config check (src/util/listen-address.ts); this adds the socket family.

import { isIPv6 } from 'node:net';
import { NETCONSOLE_LISTEN, parseListenAddress as parseAddress } from '../util/listen-address.js';

export { DEFAULT_NETCONSOLE_PORT } from '../util/listen-address.js';

export interface ListenAddress {
  host: string;
  port: number;
  family: 'udp4' | 'udp6';
}

export function parseListenAddress(text: string): ListenAddress {
  const { host = '0.0.0.0', port } = parseAddress(text, NETCONSOLE_LISTEN);
  return { host, port, family: isIPv6(host) ? 'udp6' : 'udp4' };
}
