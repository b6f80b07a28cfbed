// `kubectl kerno doctor --node N | --pod NS/NAME | --all-nodes`: the findings of the cluster's kerno
// daemons, read through the API server's pod proxy (GET …/pods/<kerno pod>:<port>/proxy/findings; no port
// of the nodes needs to be reachable from here), rendered as `kerno doctor` renders them, one section per
// node. The daemon's bearer token comes from --token-file or the chart's Secret, and travels in
// X-Kerno-Authorization (the API server strips the caller's Authorization before proxying).
//
// Exit codes: 0 every section rendered; 1 a node's daemon could not be read (its section says why, the
// others still render), the pod or node does not exist, or --exit-code and a critical finding; 2 a bad
// command line; 3 an unusable kubeconfig or token file.

import { Command, CommanderError, Option } from 'commander';
import type { Report } from '../doctor/types.js';
import { readTokenFile, TokenFileError } from '../daemon/auth.js';
import { DaemonClientError, fetchFindings, sanitizeRemoteText } from '../daemon/client.js';
import { colorEnabled, renderJson, renderMarkdown, renderPlain } from '../render/index.js';
import { EXIT, UsageError, type CliIO } from '../cli/io.js';
import { KubeApiError, kubeApi, type KubeApi } from './api.js';
import { KubeconfigError, loadKubeconfig } from './kubeconfig.js';
import { reportForPod, type PodRef } from './pod-filter.js';

/** The namespace of deploy/k8s; the Helm chart installs into the release's namespace (pass -n). */
export const DEFAULT_NAMESPACE = 'kerno-system';
/** Both deploy/k8s and the chart label the daemon pods with it. */
export const DEFAULT_SELECTOR = 'app.kubernetes.io/name=kerno';
export const DEFAULT_TOKEN_SECRET = 'kerno-metrics-token';
const DEFAULT_PORT = 9733;
/** Daemons read at once (a proxied GET each). */
const PARALLEL = 8;

/** The few fields of a v1 Pod that are read. */
interface Pod {
  metadata: { name: string; namespace?: string; uid?: string; deletionTimestamp?: string };
  spec?: { nodeName?: string; containers?: { ports?: { name?: string; containerPort?: number }[] }[] };
  status?: { phase?: string };
}
interface PodList {
  items?: Pod[];
}
interface NodeList {
  items?: { metadata: { name: string } }[];
}
interface Secret {
  data?: Record<string, string>;
}

export interface NodeSection {
  node: string;
  /** "namespace/name" of the kerno pod read, when there is one. */
  pod?: string;
  report?: Report;
  error?: string;
}

interface DoctorFlags {
  node?: string;
  pod?: string;
  allNodes?: boolean;
  output: string;
  kubeconfig?: string;
  context?: string;
  namespace: string;
  selector: string;
  tokenFile?: string;
  tokenSecret: string;
  timeout: string;
  exitCode?: boolean;
  color?: boolean;
}

class Failure extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

export async function runKubectlKerno(argv: string[], io: CliIO): Promise<number> {
  let code: number = EXIT.OK;
  const program = new Command('kubectl kerno')
    .description("kerno's findings from the cluster's nodes, through the Kubernetes API server")
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.out(s),
      writeErr: (s) => io.err(s.startsWith('error:') ? `kubectl-kerno: ${s}` : s),
    });
  program
    .command('doctor')
    .description("render the kerno daemons' last diagnosis window, one section per node")
    .option('--node <name>', 'the kerno daemon on this node')
    .option('--pod <namespace/name>', "findings naming this pod, from its node's daemon")
    .option('--all-nodes', 'every node of the cluster')
    .addOption(
      new Option('-o, --output <format>', 'output format')
        .choices(['pretty', 'json', 'md'])
        .default('pretty'),
    )
    .option('--kubeconfig <file>', 'kubeconfig file (default: $KUBECONFIG, first entry; else ~/.kube/config)')
    .option('--context <name>', 'kubeconfig context (default: current-context)')
    .option('-n, --namespace <ns>', "kerno's namespace", DEFAULT_NAMESPACE)
    .option('-l, --selector <labels>', 'label selector of the kerno pods', DEFAULT_SELECTOR)
    .option('--token-file <file>', "the daemons' bearer token (default: read from the token Secret)")
    .option(
      '--token-secret <name>',
      'Secret (key "token") in kerno\'s namespace holding the daemons\' token',
      DEFAULT_TOKEN_SECRET,
    )
    .option('--timeout <seconds>', 'deadline for each daemon', '15')
    .option('--exit-code', 'exit 1 when a node has a critical finding')
    .option('--no-color', 'no colour in pretty output')
    .addHelpText(
      'after',
      `
Examples:
  kubectl kerno doctor --node worker-1
  kubectl kerno doctor --pod shop/checkout-7d9f -o md
  kubectl kerno doctor --all-nodes -o json

Needs get on nodes, pods and pods/proxy (and get on the token Secret, or --token-file).
Exit codes: 0 every node rendered; 1 a node could not be read (the others still render), the pod or node
does not exist, or --exit-code and a critical finding; 2 usage; 3 unusable kubeconfig or token file.`,
    )
    .action(async (flags: DoctorFlags) => {
      code = await doctor(flags, io);
    });
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.help' || err.exitCode === 0)
        return EXIT.OK;
      return EXIT.USAGE;
    }
    if (err instanceof UsageError) {
      io.err(`kubectl-kerno: ${err.message}\n`);
      return EXIT.USAGE;
    }
    if (err instanceof Failure) {
      io.err(`kubectl-kerno: ${err.message}\n`);
      return err.exitCode;
    }
    throw err;
  }
  return code;
}

function parseTarget(
  flags: DoctorFlags,
): { kind: 'node'; node: string } | { kind: 'pod'; pod: PodRef } | { kind: 'all' } {
  const given = [flags.node !== undefined, flags.pod !== undefined, Boolean(flags.allNodes)].filter(
    Boolean,
  ).length;
  if (given !== 1)
    throw new UsageError('doctor: give exactly one of --node <name>, --pod <namespace/name>, --all-nodes');
  if (flags.node !== undefined) {
    if (flags.node.trim() === '') throw new UsageError('--node: empty node name');
    return { kind: 'node', node: flags.node.trim() };
  }
  if (flags.pod !== undefined) {
    const m = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?)\/([a-z0-9]([-a-z0-9.]*[a-z0-9])?)$/.exec(flags.pod.trim());
    if (!m) throw new UsageError(`--pod: "${sanitizeRemoteText(flags.pod, 80)}" is not namespace/name`);
    return { kind: 'pod', pod: { namespace: m[1]!, name: m[3]! } };
  }
  return { kind: 'all' };
}

async function doctor(flags: DoctorFlags, io: CliIO): Promise<number> {
  const target = parseTarget(flags);
  const timeoutS = Number(flags.timeout);
  if (!Number.isFinite(timeoutS) || timeoutS <= 0)
    throw new UsageError(`--timeout: "${flags.timeout}" is not a positive number of seconds`);
  let access;
  try {
    access = loadKubeconfig({ path: flags.kubeconfig, context: flags.context, env: io.env });
  } catch (err) {
    if (err instanceof KubeconfigError) throw new Failure(err.message, EXIT.CONFIG);
    throw err;
  }
  const api = kubeApi(access);
  const ns = flags.namespace;
  const enc = encodeURIComponent;
  try {
    // Which nodes, and for --pod the pod itself.
    let nodes: string[];
    let pod: PodRef | undefined;
    if (target.kind === 'pod') {
      const p = await getOrNull<Pod>(
        api,
        `/api/v1/namespaces/${enc(target.pod.namespace)}/pods/${enc(target.pod.name)}`,
      );
      if (!p) throw new Failure(`pod ${target.pod.namespace}/${target.pod.name} not found`, EXIT.FAILURE);
      const node = p.spec?.nodeName;
      if (!node)
        throw new Failure(
          `pod ${target.pod.namespace}/${target.pod.name} is not scheduled on a node yet`,
          EXIT.FAILURE,
        );
      pod = { ...target.pod, ...(p.metadata.uid ? { uid: p.metadata.uid } : {}) };
      nodes = [node];
    } else if (target.kind === 'node') {
      const n = await getOrNull<unknown>(api, `/api/v1/nodes/${enc(target.node)}`, [403]);
      if (n === null) throw new Failure(`node ${target.node} not found`, EXIT.FAILURE);
      nodes = [target.node];
    } else {
      nodes = [];
    }

    // The kerno pods: one list call (all nodes) or one per node (field selector).
    const sel = `labelSelector=${enc(flags.selector)}`;
    const podsPath = `/api/v1/namespaces/${enc(ns)}/pods?${sel}`;
    const kernoPods = new Map<string, Pod>();
    const add = (list: PodList): void => {
      for (const p of list.items ?? []) {
        const node = p.spec?.nodeName;
        if (!node) continue;
        const prev = kernoPods.get(node);
        if (!prev || rank(p) > rank(prev)) kernoPods.set(node, p);
      }
    };
    if (target.kind === 'all') {
      add(await api.getJson<PodList>(podsPath));
      const list = await getOrNull<NodeList>(api, '/api/v1/nodes', [403]);
      // Without permission to list nodes, the nodes are those running a kerno pod.
      nodes = list === undefined ? [...kernoPods.keys()] : (list?.items ?? []).map((n) => n.metadata.name);
      nodes.sort();
    } else {
      add(await api.getJson<PodList>(`${podsPath}&fieldSelector=${enc(`spec.nodeName=${nodes[0]!}`)}`));
    }

    const token = await daemonToken(flags, api, ns);
    const sections = await mapLimit(nodes, PARALLEL, (node) =>
      readNode(api, node, kernoPods.get(node), ns, token, timeoutS * 1000),
    );
    if (pod) for (const s of sections) if (s.report) s.report = reportForPod(s.report, pod);

    io.out(render(sections, flags, io, pod));
    let code: number = sections.some((s) => s.error !== undefined) ? EXIT.FAILURE : EXIT.OK;
    if (flags.exitCode && sections.some((s) => s.report?.findings.some((f) => f.severity === 'critical'))) {
      io.err('kubectl-kerno: critical findings detected (exit code 1)\n');
      code = EXIT.FAILURE;
    }
    return code;
  } catch (err) {
    if (err instanceof KubeApiError) throw new Failure(err.message, EXIT.FAILURE);
    throw err;
  }
}

/** Prefer a running pod that is not being deleted (during a rolling update a node has two). */
function rank(p: Pod): number {
  return (p.status?.phase === 'Running' ? 2 : 0) + (p.metadata.deletionTimestamp ? 0 : 1);
}

/** GET, null on 404; undefined on one of `tolerated` statuses (e.g. 403: no permission, carry on). */
async function getOrNull<T>(
  api: KubeApi,
  path: string,
  tolerated: number[] = [],
): Promise<T | null | undefined> {
  try {
    return await api.getJson<T>(path);
  } catch (err) {
    if (err instanceof KubeApiError && err.status === 404) return null;
    if (err instanceof KubeApiError && tolerated.includes(err.status)) return undefined;
    throw err;
  }
}

async function daemonToken(flags: DoctorFlags, api: KubeApi, ns: string): Promise<string | undefined> {
  if (flags.tokenFile !== undefined) {
    try {
      return readTokenFile(flags.tokenFile, '--token-file').token;
    } catch (err) {
      if (err instanceof TokenFileError) throw new Failure(err.message, EXIT.CONFIG);
      throw err;
    }
  }
  // No Secret, or no right to read it: daemons without auth still answer; the others say 401 in their
  // section, which names --token-file.
  const s = await getOrNull<Secret>(
    api,
    `/api/v1/namespaces/${encodeURIComponent(ns)}/secrets/${encodeURIComponent(flags.tokenSecret)}`,
    [401, 403],
  );
  const data = s?.data?.token;
  if (data === undefined) return undefined;
  const token = (Buffer.from(data, 'base64').toString('utf8').split(/\r?\n/)[0] ?? '').trim();
  return token === '' ? undefined : token;
}

async function readNode(
  api: KubeApi,
  node: string,
  pod: Pod | undefined,
  ns: string,
  token: string | undefined,
  timeoutMs: number,
): Promise<NodeSection> {
  if (!pod)
    return { node, error: `no kerno pod on this node (namespace ${ns}; is the DaemonSet scheduled here?)` };
  const name = pod.metadata.name;
  const port =
    pod.spec?.containers?.flatMap((c) => c.ports ?? []).find((p) => p.name === 'metrics')?.containerPort ??
    DEFAULT_PORT;
  const section: NodeSection = { node, pod: `${ns}/${name}` };
  const url = `${api.server}/api/v1/namespaces/${encodeURIComponent(ns)}/pods/${encodeURIComponent(name)}:${port}/proxy/findings`;
  try {
    section.report = await fetchFindings(url, {
      token,
      tokenHeader: 'X-Kerno-Authorization',
      headers: api.headers,
      tls: api.tls,
      timeoutMs,
      label: `pod ${ns}/${name}`,
    });
  } catch (err) {
    if (!(err instanceof DaemonClientError)) throw err;
    const why = err.kind === 'unreachable' || err.kind === 'timeout' ? 'unreachable: ' : '';
    section.error = `${why}${err.message}`;
  }
  return section;
}

async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

function render(
  sections: readonly NodeSection[],
  flags: DoctorFlags,
  io: CliIO,
  pod: PodRef | undefined,
): string {
  if (flags.output === 'json') {
    const doc = {
      ...(pod ? { pod: { namespace: pod.namespace, name: pod.name } } : {}),
      nodes: sections.map((s) => ({
        node: s.node,
        ...(s.pod ? { pod: s.pod } : {}),
        ...(s.report ? { report: JSON.parse(renderJson(s.report)) as unknown } : {}),
        ...(s.error !== undefined ? { error: s.error } : {}),
      })),
    };
    return JSON.stringify(doc, null, 2) + '\n';
  }
  const scope = pod ? ` · findings naming pod ${pod.namespace}/${pod.name}` : '';
  if (flags.output === 'md') {
    return (
      sections
        .map((s) => {
          const head = `# Node ${s.node}${s.pod ? ` (kerno pod ${s.pod})` : ''}${scope}\n\n`;
          return head + (s.report ? renderMarkdown(s.report) : `> ❌ **${s.error}**\n`);
        })
        .join('\n') + ''
    );
  }
  const color = colorEnabled({ colorFlag: flags.color, env: io.env, isTTY: io.stdoutIsTTY });
  const width = Math.max(76, process.stdout.columns ?? 80);
  return sections
    .map((s) => {
      const title = ` node ${s.node}${s.pod ? ` · pod ${s.pod}` : ''}${scope} `;
      const rule = `━━${title}${'━'.repeat(Math.max(2, width - title.length - 2))}`;
      const body = s.report ? renderPlain(s.report, { color, banner: true, width }) : `  ✖ ${s.error}\n`;
      return `${rule}\n${body}`;
    })
    .join('\n');
}
