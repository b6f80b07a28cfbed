// Runs one chaos scenario through the TypeScript API (not the `kerno chaos` CLI) in its own process, so an
// e2e test can run `kerno doctor` beside it and stop it with SIGTERM like an operator would.
//
//   node --import tsx test/e2e/run-scenario.ts <name> <duration-seconds> <low|medium|high> [kerno-worker|stress-ng]
//
// stdout, one JSON object per line:
//   {"type":"subject","subject":{…ChaosSubject}}   as soon as the scenario reports a subject
//   {"type":"result","result":{…ScenarioResult}}   when the run ended (deadline or SIGTERM) and cleaned up
// stderr: the scenario's progress lines. Exit status 0 when the run (and its cleanup) succeeded, 1 otherwise.
import { parseInducer, parseIntensity, runScenario } from '../../src/chaos/index.js';

export type RunnerLine =
  | { type: 'subject'; subject: import('../../src/chaos/index.js').ChaosSubject }
  | { type: 'result'; result: import('../../src/chaos/index.js').ScenarioResult };

function emit(line: RunnerLine): void {
  process.stdout.write(JSON.stringify(line) + '\n');
}

async function main(argv: string[]): Promise<void> {
  const [name, seconds, intensity, inducer = 'kerno-worker'] = argv;
  if (name === undefined || seconds === undefined || intensity === undefined || !(Number(seconds) > 0)) {
    throw new Error(
      'usage: run-scenario.ts <name> <duration-seconds> <low|medium|high> [kerno-worker|stress-ng]',
    );
  }
  const stop = new AbortController();
  // SIGTERM/SIGINT end the incident early; the scenario then removes what it created before we exit.
  for (const sig of ['SIGTERM', 'SIGINT'] as const) process.once(sig, () => stop.abort());
  const result = await runScenario(
    name,
    {
      durationNs: Number(seconds) * 1e9,
      intensity: parseIntensity(intensity),
      inducer: parseInducer(inducer),
    },
    {
      signal: stop.signal,
      log: (l) => process.stderr.write(`${l}\n`),
      onSubject: (subject) => emit({ type: 'subject', subject }),
    },
  );
  emit({ type: 'result', result });
}

main(process.argv.slice(2)).catch((err: unknown) => {
  process.stderr.write(`run-scenario: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
