// A Logger whose level and format can change after it was handed out (SIGHUP reload). The collection and
// every collector got their loggers at construction, so instead of swapping loggers the daemon swaps the
// sink behind them: every logger derived from this one (child()) writes through the current root.

import {
  createLogger,
  loggerFrom,
  type LogFields,
  type Logger,
  type LogFormat,
  type LogLevel,
} from '../runtime/log.js';

export interface ReloadableLogger {
  logger: Logger;
  /** Replace level and format; every derived logger follows at once. */
  reconfigure(level: LogLevel, format: LogFormat): void;
}

export function createReloadableLogger(
  level: LogLevel,
  format: LogFormat,
  write: (line: string) => void,
): ReloadableLogger {
  let root = createLogger({ level, format, write });
  const derive = (bound: LogFields): Logger => {
    const log = (lvl: LogLevel, msg: string, fields?: LogFields): void =>
      root.log(lvl, msg, fields === undefined ? bound : { ...bound, ...fields });
    return loggerFrom(
      () => root.level,
      log,
      (fields) => derive({ ...bound, ...fields }),
    );
  };
  return {
    logger: derive({}),
    reconfigure(nextLevel, nextFormat) {
      root = createLogger({ level: nextLevel, format: nextFormat, write });
    },
  };
}
