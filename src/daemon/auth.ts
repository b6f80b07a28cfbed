// Optional bearer-token auth for the data endpoints (/metrics, /findings, /panics; issue #41). The probes
// stay open: kubelet cannot present a token, and an authenticated probe turns an auth problem into a
// restart loop (the mTLS attempt in PR #77 broke them).
//
// The token lives in a file (a Kubernetes Secret or a root-only file), re-read on SIGHUP so it can be
// rotated without a restart. Both sides are hashed before the constant-time compare: timingSafeEqual needs
// equal lengths, and comparing digests means neither the token's length nor a prefix leaks through timing.

import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';

export type AuthResult = 'ok' | 'missing' | 'invalid';

export class TokenFileError extends Error {
  override readonly name = 'TokenFileError';
}

function digest(s: string): Buffer {
  return createHash('sha256').update(s, 'utf8').digest();
}

/** A token is one short line; anything larger is not a token file. */
const MAX_TOKEN_FILE_BYTES = 64 * 1024;

/**
 * Reads a token file: the first line, trimmed; an empty token is an error (it would accept anyone, and a
 * client sending an empty one is always refused). Used by the daemon and by `doctor --from --token-file`.
 */
export function readTokenFile(
  path: string,
  label = 'metrics token file',
): { token: string; warning?: string } {
  const what = `${label} ${path}`;
  let text: string;
  try {
    const st = statSync(path);
    if (!st.isFile()) throw new TokenFileError(`${what}: not a regular file`);
    if (st.size > MAX_TOKEN_FILE_BYTES) throw new TokenFileError(`${what}: larger than 64 KiB, not a token`);
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if (err instanceof TokenFileError) throw err;
    const e = err as NodeJS.ErrnoException;
    throw new TokenFileError(`${what}: cannot read: ${e.code ?? e.message}`);
  }
  const token = (text.split(/\r?\n/)[0] ?? '').trim();
  if (token === '') throw new TokenFileError(`${what}: is empty`);
  if (/\s/.test(token)) throw new TokenFileError(`${what}: the token contains whitespace`);
  let warning: string | undefined;
  try {
    if ((statSync(path).mode & 0o004) !== 0) warning = `${what} is readable by every user; chmod 600 it`;
  } catch {
    // Read a moment ago; a failing stat only loses the warning.
  }
  return warning === undefined ? { token } : { token, warning };
}

export class BearerAuth {
  #file: string | undefined;
  #digest: Buffer | undefined;

  /** `file` undefined = auth off. Throws TokenFileError when the file cannot be used. */
  constructor(file: string | undefined, onWarning: (msg: string) => void = () => {}) {
    this.load(file, onWarning);
  }

  get enabled(): boolean {
    return this.#digest !== undefined;
  }

  get file(): string | undefined {
    return this.#file;
  }

  /**
   * (Re)load from `file` (SIGHUP). On failure the previous token stays in force and the error is thrown:
   * a botched rotation must not open the endpoint or lock everyone out.
   */
  load(file: string | undefined, onWarning: (msg: string) => void = () => {}): void {
    if (file === undefined) {
      this.#file = undefined;
      this.#digest = undefined;
      return;
    }
    const { token, warning } = readTokenFile(file);
    if (warning !== undefined) onWarning(warning);
    this.#file = file;
    this.#digest = digest(token);
  }

  /** Checks an Authorization header value. */
  check(header: string | undefined): AuthResult {
    const expected = this.#digest;
    if (!expected) return 'ok';
    const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header ?? '');
    if (!m) return 'missing';
    return timingSafeEqual(digest(m[1]!), expected) ? 'ok' : 'invalid';
  }
}
