// Kernel tests need root and BTF. They never skip silently: without them the test FAILS with a loud
// explanation (design: a skipped kernel test presented as passing is a defect).
import { existsSync } from 'node:fs';

export function requireKernel(): void {
  const problems: string[] = [];
  if (typeof process.getuid === 'function' && process.getuid() !== 0) problems.push('not running as root');
  if (!existsSync('/sys/kernel/btf/vmlinux')) problems.push('no BTF at /sys/kernel/btf/vmlinux');
  if (problems.length > 0) {
    throw new Error(
      `KERNEL TEST CANNOT RUN: ${problems.join(', ')}. Run the suite as root on a kernel with BTF ` +
        `(sudo scripts/verify.sh). This is a failure, not a skip.`,
    );
  }
}
