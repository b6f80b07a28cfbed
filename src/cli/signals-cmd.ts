// `kerno signals`: one collection window, the raw Signals snapshot as JSON (for people and for tests).
import { Command } from 'commander';
import { Collection } from '../runtime/collection.js';
import { parseDuration } from '../util/duration.js';
import { commandContext } from './context.js';
import { UsageError, type CliIO } from './io.js';
import type { CommandModule } from './main.js';
import { sleepUntilAborted } from '../util/sleep.js';

export const signalsCommand: CommandModule = {
  register(program: Command, io: CliIO) {
    program
      .command('signals')
      .description('collect for a window and print the raw Signals snapshot (JSON)')
      .option('-d, --duration <duration>', 'window length', '5s')
      .option('-o, --output <format>', 'json (the only format)', 'json')
      .action(async (opts: { duration: string; output: string }, cmd: Command) => {
        if (opts.output !== 'json')
          throw new UsageError(`--output: unknown format "${opts.output}" (expected json)`);
        let ns: number;
        try {
          ns = parseDuration(opts.duration);
        } catch (err) {
          throw new UsageError(`--duration: ${(err as Error).message}`);
        }
        if (ns < 1e9 || ns > 300e9)
          throw new UsageError(`--duration: must be between 1s and 5m, got "${opts.duration}"`);
        const { config, logger } = commandContext(cmd, io);
        const collection = new Collection({ config, logger, env: io.env });
        await collection.start();
        try {
          await sleepUntilAborted(ns / 1e6, io.signal);
          const signals = await collection.snapshot();
          io.out(JSON.stringify(signals, null, 2) + '\n');
        } finally {
          await collection.stop();
        }
      });
  },
};
