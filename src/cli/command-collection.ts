// The collection of a command that runs until the user stops it (`doctor --watch`, `predict`): the one-line
// privilege warning, the Collection, and one AbortController that Ctrl+C and a fail_fast collector's
// failure both end.
import type { Config } from '../config/index.js';
import { Collection } from '../runtime/collection.js';
import type { Logger } from '../runtime/log.js';
import { checkBpfPrivileges } from '../util/privileges.js';
import { ExitError } from './context.js';
import { EXIT, type CliIO } from './io.js';
import { demotePermissionWarnings } from './privilege-log.js';

export interface CommandCollection {
  collection: Collection;
  /** Aborted by Ctrl+C (`io.signal`) or when a fail_fast collector failed. */
  stop: AbortController;
  /** Stops listening to `io.signal` and stops the collectors (for a `finally`). */
  close(): Promise<void>;
  /** After `close()`: the failure of a fail_fast collector, as the command's exit. */
  throwIfFatal(): void;
}

/** `doing` completes "BPF collectors cannot load — …": what the command still does without them. */
export function openCommandCollection(
  io: CliIO,
  config: Config,
  logger: Logger,
  doing: string,
): CommandCollection {
  const priv = checkBpfPrivileges();
  if (!priv.ok) io.err(`kerno: ${priv.reason}; BPF collectors cannot load — ${doing}\n`);
  const collection = new Collection({
    config,
    logger: priv.ok ? logger : demotePermissionWarnings(logger),
    env: io.env,
  });
  const stop = new AbortController();
  let fatal: Error | undefined;
  collection.supervisor.fatal.catch((err: Error) => {
    fatal = err;
    stop.abort();
  });
  const onAbort = (): void => stop.abort();
  io.signal?.addEventListener('abort', onAbort, { once: true });
  return {
    collection,
    stop,
    async close() {
      io.signal?.removeEventListener('abort', onAbort);
      await collection.stop();
    },
    throwIfFatal() {
      if (fatal) throw new ExitError(fatal.message, EXIT.FAILURE);
    },
  };
}
