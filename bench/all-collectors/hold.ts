// Starts every collector exactly as `kerno doctor` does (default configuration, the supervisor, the same
// program variants and PID filter) and holds them until SIGTERM/SIGINT. Prints one coverage line per
// collector on stderr, then "ready" on stdout once all have attached (or failed). Configuration comes from
// the environment: KERNO_RUNTIME_BPF_STATS=false leaves BPF run-time statistics off (doctor turns them on).
//   node --import tsx bench/all-collectors/hold.ts
import { loadConfig } from '../../src/config/index.js';
import { createLogger } from '../../src/runtime/log.js';
import { Collection } from '../../src/runtime/collection.js';

const { config } = loadConfig({ env: process.env });
const collection = new Collection({ config, logger: createLogger({ level: 'warn' }), env: process.env });
await collection.start();
let programs = 0;
for (const s of collection.states()) {
  programs += s.programsLoaded;
  process.stderr.write(`hold: ${s.name} ${s.state} programs ${s.programsLoaded}/${s.programsTotal}\n`);
}
process.stderr.write(`hold: ${programs} BPF programs attached\n`);
process.stdout.write('ready\n');

const done = (): void => {
  void collection.stop().then(() => process.exit(0));
};
process.on('SIGTERM', done);
process.on('SIGINT', done);
setInterval(() => {}, 1 << 30);
