// Without BPF privileges every BPF collector fails the same way. `kerno doctor` says so once on stderr and
// the report's coverage section lists each collector with its hint, so the per-collector "permission denied"
// warnings would only repeat that line seven times: they are demoted to debug (still shown with -v).
import { loggerFrom, type LogFields, type Logger, type LogLevel } from '../runtime/log.js';

const DENIED = /\b(EPERM|EACCES)\b|operation not permitted|permission denied/i;

export function isPermissionFailure(fields: LogFields | undefined): boolean {
  if (fields === undefined) return false;
  return fields.errorKind === 'permission' || DENIED.test(String(fields.error ?? ''));
}

export function demotePermissionWarnings(logger: Logger): Logger {
  const log = (level: LogLevel, msg: string, fields?: LogFields): void =>
    logger.log(level === 'warn' && isPermissionFailure(fields) ? 'debug' : level, msg, fields);
  return loggerFrom(
    () => logger.level,
    log,
    (fields) => demotePermissionWarnings(logger.child(fields)),
  );
}
