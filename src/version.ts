import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from './bpf/paths.js';

/** What scripts/package.sh stamps into a release executable at package time. */
export interface ReleaseStamp {
  version: string;
  /** git commit the release was packaged from (with "-dirty" when the tree had changes). */
  commit: string;
  /** RFC 3339 time of packaging. */
  date: string;
}

// Replaced by esbuild's --define in the release bundle (scripts/package.sh); never defined in a checkout.
declare const __KERNO_RELEASE__: ReleaseStamp | undefined;

/** The stamp of a release executable; undefined when running from a checkout. */
export const RELEASE: ReleaseStamp | undefined =
  typeof __KERNO_RELEASE__ === 'undefined' ? undefined : __KERNO_RELEASE__;

function readVersion(): string {
  try {
    return (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string })
      .version;
  } catch {
    return '0.0.0-unknown';
  }
}

export const VERSION: string = RELEASE?.version ?? readVersion();
