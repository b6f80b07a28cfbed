// The kubeconfig as kubectl reads it, for `kubectl kerno`: --kubeconfig, else the first file of
// $KUBECONFIG (kubectl merges every file of the list; one file is what almost every setup has), else
// ~/.kube/config; --context, else current-context. What it yields is enough for plain HTTPS GETs to the API
// server: its URL, how to trust it, and the user's bearer token or client certificate. Exec and
// auth-provider credential plugins are refused with a one-line error rather than half-supported.

import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parse } from 'yaml';

export class KubeconfigError extends Error {
  override readonly name = 'KubeconfigError';
}

export interface ClusterAccess {
  /** The file the settings came from (for error messages). */
  file: string;
  context: string;
  /** API server base URL, without a trailing slash. */
  server: string;
  /** PEM of the CA to trust; undefined = the system's CAs. */
  ca?: Buffer;
  insecureSkipTlsVerify: boolean;
  /** SNI / certificate name when it differs from the server's host (tls-server-name). */
  tlsServerName?: string;
  token?: string;
  cert?: Buffer;
  key?: Buffer;
  /** The context's namespace, if any (kubectl's default for namespaced requests). */
  namespace?: string;
}

export interface KubeconfigInputs {
  /** --kubeconfig */
  path?: string;
  /** --context */
  context?: string;
  env: Readonly<Record<string, string | undefined>>;
}

/** Which file is read: --kubeconfig, the first entry of $KUBECONFIG, or ~/.kube/config. */
export function kubeconfigPath(inputs: KubeconfigInputs): string {
  if (inputs.path !== undefined && inputs.path !== '') return inputs.path;
  const list = (inputs.env.KUBECONFIG ?? '').split(':').filter((p) => p !== '');
  if (list.length > 0) return list[0]!;
  return resolve(inputs.env.HOME ?? homedir(), '.kube', 'config');
}

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function str(o: Obj, key: string, where: string): string | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw new KubeconfigError(`${where}: ${key} is not a string`);
  return v;
}

/** The `name`d entry of a list such as clusters: [{name, cluster: {...}}]. */
function named(doc: Obj, list: string, field: string, name: string, file: string): Obj {
  const entries = doc[list];
  if (entries !== undefined && entries !== null && !Array.isArray(entries))
    throw new KubeconfigError(`${file}: ${list} is not a list`);
  const hit = ((entries as unknown[] | undefined) ?? []).find((e) => isObj(e) && e.name === name);
  if (!hit) throw new KubeconfigError(`${file}: no ${field} named "${name}" in ${list}`);
  const body = (hit as Obj)[field];
  if (!isObj(body)) throw new KubeconfigError(`${file}: ${list} entry "${name}" has no ${field} settings`);
  return body;
}

export function loadKubeconfig(inputs: KubeconfigInputs): ClusterAccess {
  const file = kubeconfigPath(inputs);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const why = e.code === 'ENOENT' ? 'no such file' : (e.code ?? e.message);
    throw new KubeconfigError(`kubeconfig ${file}: cannot read: ${why}`);
  }
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (err) {
    const first = (err instanceof Error ? err.message : String(err)).split('\n')[0]!.replace(/:\s*$/, '');
    throw new KubeconfigError(`kubeconfig ${file}: not YAML: ${first}`);
  }
  if (!isObj(doc)) throw new KubeconfigError(`kubeconfig ${file}: not a kubeconfig (expected a mapping)`);
  const where = `kubeconfig ${file}`;
  const contextName = inputs.context ?? str(doc, 'current-context', where);
  if (contextName === undefined || contextName === '')
    throw new KubeconfigError(`${where}: no current-context (pass --context)`);
  const ctx = named(doc, 'contexts', 'context', contextName, where);
  const clusterName = str(ctx, 'cluster', `${where}: context "${contextName}"`);
  if (!clusterName) throw new KubeconfigError(`${where}: context "${contextName}" names no cluster`);
  const userName = str(ctx, 'user', `${where}: context "${contextName}"`);
  const cluster = named(doc, 'clusters', 'cluster', clusterName, where);
  const user = userName ? named(doc, 'users', 'user', userName, where) : {};

  const cw = `${where}: cluster "${clusterName}"`;
  const server = str(cluster, 'server', cw);
  if (!server) throw new KubeconfigError(`${cw} has no server`);
  try {
    const u = new URL(server);
    if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new Error('scheme');
  } catch {
    throw new KubeconfigError(`${cw}: server "${server}" is not an http(s) URL`);
  }
  const base = dirname(resolve(file));
  // Paths in a kubeconfig are relative to the file that names them, as kubectl resolves them.
  const readRef = (o: Obj, fileKey: string, dataKey: string, w: string): Buffer | undefined => {
    const data = str(o, dataKey, w);
    if (data !== undefined && data !== '') return Buffer.from(data, 'base64');
    const path = str(o, fileKey, w);
    if (path === undefined || path === '') return undefined;
    const full = isAbsolute(path) ? path : resolve(base, path);
    try {
      return readFileSync(full);
    } catch (err) {
      throw new KubeconfigError(
        `${w}: ${fileKey} ${full}: cannot read: ${(err as NodeJS.ErrnoException).code ?? String(err)}`,
      );
    }
  };

  const access: ClusterAccess = {
    file,
    context: contextName,
    server: server.replace(/\/+$/, ''),
    insecureSkipTlsVerify: cluster['insecure-skip-tls-verify'] === true,
  };
  const ca = readRef(cluster, 'certificate-authority', 'certificate-authority-data', cw);
  if (ca) access.ca = ca;
  const sni = str(cluster, 'tls-server-name', cw);
  if (sni) access.tlsServerName = sni;
  const ns = str(ctx, 'namespace', `${where}: context "${contextName}"`);
  if (ns) access.namespace = ns;

  const uw = `${where}: user "${userName ?? ''}"`;
  if (user.exec !== undefined || user['auth-provider'] !== undefined)
    throw new KubeconfigError(
      `${uw}: credential plugins (exec / auth-provider) are not supported by kubectl-kerno; use a context with a token or client certificate`,
    );
  let token = str(user, 'token', uw);
  const tokenFile = str(user, 'tokenFile', uw);
  if (!token && tokenFile) {
    const full = isAbsolute(tokenFile) ? tokenFile : resolve(base, tokenFile);
    try {
      token = readFileSync(full, 'utf8').trim();
    } catch (err) {
      throw new KubeconfigError(
        `${uw}: tokenFile ${full}: cannot read: ${(err as NodeJS.ErrnoException).code ?? String(err)}`,
      );
    }
  }
  if (token) access.token = token;
  const cert = readRef(user, 'client-certificate', 'client-certificate-data', uw);
  const key = readRef(user, 'client-key', 'client-key-data', uw);
  if ((cert === undefined) !== (key === undefined))
    throw new KubeconfigError(`${uw}: a client certificate needs both the certificate and the key`);
  if (cert && key) {
    access.cert = cert;
    access.key = key;
  }
  return access;
}
