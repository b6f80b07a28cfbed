import os from 'node:os';
import type { HostInfo } from '../../signals/types.js';
import { readTextIfPresent } from './read-text.js';

export const BOOT_ID_PATH = '/proc/sys/kernel/random/boot_id';

/**
 * Host identity for Signals.host. arch is the kernel's machine name (uname -m: x86_64, aarch64), not Node's
 * x64/arm64; bootId is "" where the kernel does not expose it.
 */
export async function hostInfo(bootIdPath = BOOT_ID_PATH): Promise<HostInfo> {
  const bootId = (await readTextIfPresent(bootIdPath))?.trim() ?? '';
  return { hostname: os.hostname(), kernelRelease: os.release(), arch: os.machine(), bootId };
}
