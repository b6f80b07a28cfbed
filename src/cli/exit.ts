// process.exit() does not wait for pending writes to a pipe: a large JSON report piped to jq would be cut
// short. Exit only once stdout and stderr have flushed what was written before.
export function exitAfterFlush(code: number, exit: (code: number) => never): void {
  let pending = 2;
  const done = (): void => {
    if (--pending === 0) exit(code);
  };
  process.stdout.write('', done);
  process.stderr.write('', done);
}
