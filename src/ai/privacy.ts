// What leaves the host: the privacy modes, applied to every text before a request is built (reference §9).
// Pure functions; the only input from the outside is the host's own hostname, passed in.
//
// `redacted` replaces each identifying value with a placeholder (ip-1, host-1, pod-1, namespace-1, path-1,
// uid-1), numbered per class in the order the masking passes meet them: the same value always gets the same
// placeholder within one request, and the same text always the same output, so the model can still say
// "pod-2 is throttled because …" and the reader can map it back.
import { isIPv6 } from 'node:net';

export type Placeholders = Map<string, string>;

/** Per-request masking state: value → placeholder, counted per class. */
export class Masker {
  private readonly byValue: Placeholders = new Map();
  private readonly counts = new Map<string, number>();
  private readonly selfNames: string[];

  constructor(ownHostname = '') {
    const full = ownHostname.trim().toLowerCase();
    // The short name as well: `web-1` appears in logs as often as `web-1.prod.example.com`.
    this.selfNames = [...new Set([full, full.split('.')[0] ?? ''])].filter((n) => n.length >= 2);
  }

  /** The placeholders handed out so far (value → placeholder). */
  get mapping(): ReadonlyMap<string, string> {
    return this.byValue;
  }

  private mask(kind: string, value: string): string {
    const known = this.byValue.get(value);
    if (known) return known;
    const n = (this.counts.get(kind) ?? 0) + 1;
    this.counts.set(kind, n);
    const placeholder = `${kind}-${n}`;
    this.byValue.set(value, placeholder);
    return placeholder;
  }

  redact(text: string): string {
    let s = text;
    // Order matters: a path may hold an IP or a pod UID, "ns/pod" looks like a relative path, and a
    // hostname rule must not eat the dots of an address already masked.
    s = s.replace(ABS_PATH, (m: string, lead: string, path: string) => lead + this.mask('path', path));
    s = s.replace(UUID, (m) => this.mask('uid', m.toLowerCase()));
    s = s.replace(POD_REF, (m: string, word: string, q: string, ns: string | undefined, pod: string) => {
      const nsPart = ns === undefined ? '' : `${this.mask('namespace', ns)}/`;
      return `${word}${q}${nsPart}${this.mask('pod', pod)}`;
    });
    s = s.replace(NAMESPACE_FLAG, (m: string, flag: string, ns: string) => flag + this.mask('namespace', ns));
    s = s.replace(REPLICA_POD, (m) => this.mask('pod', m));
    s = s.replace(IPV6_CANDIDATE, (m) => (isIPv6(m) ? this.mask('ip', m.toLowerCase()) : m));
    s = s.replace(IPV4, (m) => (validIPv4(m) ? this.mask('ip', m) : m));
    for (const name of this.selfNames) s = s.replace(wordRegExp(name), () => 'this-host');
    s = s.replace(HOSTNAME, (m) => this.mask('host', m.toLowerCase()));
    return s;
  }
}

// An absolute path: a `/` that starts a word (not the middle of `a/b` or a URL's `//`), at least one
// more segment character. `lead` keeps the character before it.
const ABS_PATH = /(^|[\s'"`=(:,[])(\/(?!\/)[\w.@%+~-]+(?:\/[\w.@%+~:-]*)*)/g;
const UUID = /\b[0-9a-f]{8}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{12}\b/gi;
// How kerno's reports name pods: "pod ns/name", "pod name", "describe pod 'name'", "pods/name".
const POD_REF = /\b(pods?[ /])(['"]?)(?:([a-z0-9][a-z0-9-]{0,62})\/)?([a-z0-9][a-z0-9.-]{0,252}[a-z0-9])\b/g;
// Only in a kubectl command line: `sort -n file` has no namespace.
const NAMESPACE_FLAG = /(?<=\bkubectl\b[^\n;|&]*)(\s(?:-n|--namespace)[ =]'?)([a-z0-9][a-z0-9-]{0,62})\b/g;
// A Deployment's pod name outside those forms: <name>-<replicaset hash>-<5 chars>.
const REPLICA_POD = /\b[a-z0-9](?:[a-z0-9-]*[a-z0-9])?-[a-z0-9]{6,10}-[a-z0-9]{5}\b/g;
const IPV6_CANDIDATE = /(?<![\w:])(?:[0-9a-f]{0,4}:){2,7}[0-9a-f]{0,4}(?:%\w+)?(?![\w:])/gi;
const IPV4 = /(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?![\w.]*\w)/g;
// A dotted name under a common top-level or internal domain. Not every dotted word: sysctl keys
// (net.core.somaxconn), file names (config.yaml) and module names (node.js) are what the model needs.
const HOSTNAME = new RegExp(
  String.raw`\b(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+(?:` +
    [
      'com',
      'net',
      'org',
      'io',
      'dev',
      'app',
      'cloud',
      'co',
      'ai',
      'edu',
      'gov',
      'info',
      'biz',
      'us',
      'uk',
      'de',
      'fr',
      'nl',
      'eu',
      'jp',
      'cn',
      'in',
      'ru',
      'br',
      'au',
      'ca',
      'ch',
      'se',
      'internal',
      'local',
      'localdomain',
      'lan',
      'corp',
      'home',
      'intranet',
      'private',
      'svc',
      'cluster',
    ].join('|') +
    String.raw`)\b(?!\.\w)`,
  'gi',
);

function validIPv4(s: string): boolean {
  return s.split('.').every((o) => Number(o) <= 255 && (o === '0' || !o.startsWith('0')));
}

function wordRegExp(word: string): RegExp {
  return new RegExp(`(?<![\\w.-])${word.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![\\w-])`, 'gi');
}

/** `redacted` over one text with a fresh masker (tests, explain). */
export function redact(text: string, ownHostname = ''): string {
  return new Masker(ownHostname).redact(text);
}
