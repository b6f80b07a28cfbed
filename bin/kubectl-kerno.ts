// `kubectl kerno …` (kubectl runs kubectl-kerno from PATH): reads the cluster's kerno daemons through the
// API server (src/kubectl/plugin.ts). With bin/kerno.ts and bin/bpf-verify.ts, the only place that exits.
import { runKubectlKerno } from '../src/kubectl/plugin.js';
import { processIO, EXIT } from '../src/cli/io.js';
import { exitAfterFlush } from '../src/cli/exit.js';
import { VERSION } from '../src/version.js';
import { installCrashHandlers } from '../src/runtime/process-guard.js';

installCrashHandlers({ version: VERSION, exit: process.exit, exitCode: EXIT.INTERNAL });

// Nothing to clean up on Ctrl+C: only GETs are in flight.
process.on('SIGINT', () => process.exit(130));
process.on('SIGTERM', () => process.exit(143));
void runKubectlKerno(process.argv.slice(2), processIO()).then((code) => exitAfterFlush(code, process.exit));
