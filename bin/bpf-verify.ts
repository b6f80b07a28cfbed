// Entry point: the only place (with bin/kerno.ts) allowed to exit the process.
import { runBpfVerify } from '../src/cli/bpf-verify.js';
import { processIO, EXIT } from '../src/cli/io.js';
import { exitAfterFlush } from '../src/cli/exit.js';

const ac = new AbortController();
process.once('SIGINT', () => ac.abort());
process.once('SIGTERM', () => ac.abort());
const io = processIO(ac.signal);
runBpfVerify(process.argv.slice(2), io).then(
  (code) => exitAfterFlush(code, process.exit),
  (err: unknown) => {
    const e = err as { exitCode?: number; message?: string };
    io.err(`bpf-verify: ${e?.message ?? String(err)}\n`);
    exitAfterFlush(typeof e?.exitCode === 'number' ? e.exitCode : EXIT.FAILURE, process.exit);
  },
);
