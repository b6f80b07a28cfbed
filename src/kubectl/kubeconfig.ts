// The kubeconfig as kubectl reads it, for `kubectl kerno`: --kubeconfig, else the first file of
// $KUBECONFIG (kubectl merges every file of the list; one file is what almost every setup has), else
// ~/.kube/config; --context, else current-context. What it yields is enough for plain HTTPS GETs to the API
// server: its URL, how to trust it, and the user's bearer token or client certificate — given in the file or
// by an exec credential plugin (aws eks get-token, gke-gcloud-auth-plugin, kubelogin …), run as kubectl runs
// it. The legacy auth-provider entries (removed from kubectl in 1.26) are refused with a one-line error.

import { execFileSync } from 'node:child_process';
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
  if (user['auth-provider'] !== undefined)
    throw new KubeconfigError(
      `${uw}: auth-provider is not supported (kubectl dropped it in 1.26); use an exec credential plugin, a token or a client certificate`,
    );
  if (user.exec !== undefined) {
    const cred = execCredential(user.exec, uw, inputs.env);
    if (cred.token) access.token = cred.token;
    if (cred.cert && cred.key) {
      access.cert = cred.cert;
      access.key = cred.key;
    }
    return access;
  }
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

/** How long an exec credential plugin may take (it may call a cloud API). */
const EXEC_TIMEOUT_MS = 60_000;

/**
 * Runs a `users[].user.exec` credential plugin the way kubectl does (client.authentication.k8s.io): its
 * command with args and env, KUBERNETES_EXEC_INFO describing a non-interactive call, and reads the
 * ExecCredential it prints: status.token, or status.clientCertificateData + clientKeyData (PEM).
 */
function execCredential(
  exec: unknown,
  where: string,
  env: Readonly<Record<string, string | undefined>>,
): { token?: string; cert?: Buffer; key?: Buffer } {
  if (!isObj(exec)) throw new KubeconfigError(`${where}: exec is not a mapping`);
  const command = str(exec, 'command', `${where}: exec`);
  if (!command) throw new KubeconfigError(`${where}: exec has no command`);
  const apiVersion = str(exec, 'apiVersion', `${where}: exec`) ?? 'client.authentication.k8s.io/v1';
  const args = Array.isArray(exec.args) ? exec.args.map(String) : [];
  const extra: Record<string, string> = {};
  if (Array.isArray(exec.env))
    for (const e of exec.env)
      if (isObj(e) && typeof e.name === 'string') extra[e.name] = String(e.value ?? '');
  let out: string;
  try {
    out = execFileSync(command, args, {
      encoding: 'utf8',
      timeout: EXEC_TIMEOUT_MS,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...env,
        ...extra,
        KUBERNETES_EXEC_INFO: JSON.stringify({
          apiVersion,
          kind: 'ExecCredential',
          spec: { interactive: false },
        }),
      },
    });
  } catch (err) {
    const e = err as NodeJS.ErrnoException & {
      status?: number | null;
      stderr?: string;
      signal?: string | null;
    };
    const why =
      e.code === 'ENOENT'
        ? 'not found on PATH'
        : e.code === 'ETIMEDOUT' || e.signal === 'SIGTERM'
          ? `no answer within ${EXEC_TIMEOUT_MS / 1000}s`
          : `exited ${e.status ?? e.signal ?? e.code}${lastLine(e.stderr) ? `: ${lastLine(e.stderr)}` : ''}`;
    throw new KubeconfigError(`${where}: exec credential plugin ${command}: ${why}`);
  }
  let cred: unknown;
  try {
    cred = JSON.parse(out);
  } catch {
    throw new KubeconfigError(`${where}: exec credential plugin ${command}: printed no ExecCredential JSON`);
  }
  const status = isObj(cred) && isObj(cred.status) ? cred.status : undefined;
  if (!status || !isObj(cred) || cred.kind !== 'ExecCredential')
    throw new KubeconfigError(
      `${where}: exec credential plugin ${command}: printed no ExecCredential with a status`,
    );
  const token = typeof status.token === 'string' && status.token !== '' ? status.token : undefined;
  const cert = typeof status.clientCertificateData === 'string' ? status.clientCertificateData : undefined;
  const key = typeof status.clientKeyData === 'string' ? status.clientKeyData : undefined;
  if (!token && !(cert && key))
    throw new KubeconfigError(
      `${where}: exec credential plugin ${command}: the ExecCredential has neither a token nor a client certificate and key`,
    );
  return {
    ...(token ? { token } : {}),
    ...(cert && key ? { cert: Buffer.from(cert), key: Buffer.from(key) } : {}),
  };
}

function lastLine(text: string | undefined): string {
  const lines = (text ?? '')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
  return (lines[lines.length - 1] ?? '').slice(0, 200);
}
