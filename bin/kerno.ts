// Entry point: the only place (with bin/bpf-verify.ts) allowed to exit the process. Unexpected errors end
// in one crash-record line on stderr and a non-zero exit (systemd/Kubernetes restart the daemon).
import { run } from '../src/cli/main.js';
import { commands } from '../src/cli/commands.js';
import { processIO, EXIT } from '../src/cli/io.js';
import { exitAfterFlush } from '../src/cli/exit.js';
import { VERSION } from '../src/version.js';
import { installCrashHandlers } from '../src/runtime/process-guard.js';

installCrashHandlers({ version: VERSION, exit: process.exit, exitCode: EXIT.INTERNAL });

const ac = new AbortController();
// First SIGINT/SIGTERM ends the window / starts a graceful shutdown (commands watch io.signal); a second
// one means "now": exit immediately (BPF links vanish with the process, nothing stays attached).
let signals = 0;
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    if (++signals > 1) process.exit(sig === 'SIGINT' ? 130 : 143);
    ac.abort(sig);
  });
}
const io = processIO(ac.signal);
const argv = process.argv.slice(2);
commands(argv)
  .then((modules) => run(argv, io, modules))
  // A command that rejects is unexpected (usage and config errors resolve to exit codes): it surfaces as an
  // unhandledRejection and ends in the crash record above.
  .then((code) => exitAfterFlush(code, process.exit));
