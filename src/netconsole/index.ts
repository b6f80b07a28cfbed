// Public surface of the netconsole receiver (wired by src/cli and src/daemon).

export {
  NetconsoleReceiver,
  type NetconsoleReceiverOptions,
  type ReceiverStats,
  type LogFn,
} from './receiver.js';
export { parseListenAddress, DEFAULT_NETCONSOLE_PORT, type ListenAddress } from './listen.js';
export { NodeNameMap, parseNodeMap, UNKNOWN_NODE } from './node-names.js';
export { INCIDENT_KINDS, incidentId, type IncidentKind, type PanicIncident } from './incident.js';
export {
  IncidentStore,
  listIncidents,
  listIncidentsDetailed,
  panicsPath,
  PANICS_FILE,
  type ListOptions,
  type IncidentList,
  type StoredIncident,
} from './store.js';
export { prepareStateDir, StateDirError } from './state-dir.js';
export { WebhookSink, WEBHOOK_CURSOR_FILE, type WebhookSinkOptions, type WebhookStats } from './webhook.js';
export {
  registerNetconsoleMetrics,
  registerWebhookMetrics,
  registerK8sLinkMetrics,
  K8S_LINK_METRIC_NAMES,
  NETCONSOLE_METRIC_NAMES,
  WEBHOOK_METRIC_NAMES,
} from './metrics.js';
export { IncidentK8sLinker, type K8sLinkerOptions, type LinkStats } from './k8s-link.js';
export {
  applyNetconsole,
  detectNetconsoleSupport,
  netconsoleSetupPlan,
  type NetconsoleSetupInput,
  type NetconsoleSetupPlan,
  type NetconsoleSupport,
} from './setup.js';
