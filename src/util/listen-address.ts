/**
 * Listen addresses — the daemon's "127.0.0.1:9733" and netconsole's "udp://0.0.0.0:6666" — parsed in one
 * place, so the config check and the code that binds accept exactly the same text. Never a DNS lookup (a
 * typo such as 256.1.1.1 sent a query off the host): an IP literal, localhost, or nothing (every interface).
 */
import { isIP } from 'node:net';

/** How one kind of listen address is written. */
export interface ListenSyntax {
  /** Used in error messages: "invalid ${name} …". */
  readonly name: string;
  /** "udp": the text must start with udp://. */
  readonly scheme?: string;
  /** When set, the port may be left out. */
  readonly defaultPort?: number;
  readonly example: string;
}

export const HTTP_LISTEN: ListenSyntax = { name: 'listen address', example: '127.0.0.1:9733' };
export const DEFAULT_NETCONSOLE_PORT = 6666;
export const NETCONSOLE_LISTEN: ListenSyntax = {
  name: 'netconsole listen address',
  scheme: 'udp',
  defaultPort: DEFAULT_NETCONSOLE_PORT,
  example: 'udp://0.0.0.0:6666',
};

export interface ListenAddress {
  /** undefined = every interface (":9733"). */
  host: string | undefined;
  port: number;
}

/** A listen address that does not parse; `problem` is the reason without the offending text. */
export class ListenAddressError extends Error {
  constructor(
    readonly input: string,
    readonly problem: string,
    syntax: ListenSyntax,
  ) {
    super(`invalid ${syntax.name} ${JSON.stringify(input)}: ${problem}`);
    this.name = 'ListenAddressError';
  }
}

/** "127.0.0.1:9733", "[::1]:9733", ":9733" (all interfaces), "localhost:0" (any free port); udp:// for netconsole. */
export function parseListenAddress(text: string, syntax: ListenSyntax): ListenAddress {
  const bad = (problem: string) => new ListenAddressError(text, problem, syntax);
  const prefix = syntax.scheme === undefined ? '' : `${syntax.scheme}://`;
  const form = `expected ${prefix}host:port, e.g. ${JSON.stringify(syntax.example)}`;
  const trimmed = text.trim();
  if (!trimmed.startsWith(prefix)) throw bad(form);
  const m = /^(?:\[([^\]]*)\]|([^:/[\]\s]*))(?::(\d{1,5}))?\/?$/.exec(trimmed.slice(prefix.length));
  if (!m || (m[3] === undefined && syntax.defaultPort === undefined)) throw bad(form);
  const port = m[3] === undefined ? (syntax.defaultPort as number) : Number(m[3]);
  if (port > 65535) throw bad(form);
  const host = m[1] ?? m[2] ?? '';
  if (host === '' && m[1] === undefined) return { host: undefined, port };
  if (host === 'localhost') return { host: '127.0.0.1', port };
  const family = isIP(host);
  if (family === 0) {
    throw bad(
      `"${host}" is not an IP address (listen addresses are not resolved through DNS: use an IP, localhost, or :port for every interface)`,
    );
  }
  if (m[1] !== undefined && family !== 6) throw bad('brackets are for IPv6 addresses');
  return { host, port };
}

/** The reason `text` is not a valid listen address, or null (for config checks). */
export function listenAddressProblem(text: string, syntax: ListenSyntax): string | null {
  try {
    parseListenAddress(text, syntax);
    return null;
  } catch (err) {
    if (err instanceof ListenAddressError) return err.problem;
    throw err;
  }
}
