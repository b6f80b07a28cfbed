// Feature probe: what this kernel can really do, decided by loading AND attaching a tiny program per attach
// type (design §2: `bpftool feature probe` is misleading here — fentry "loads" but cannot attach).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BpfObject } from './object.js';
import { bpfObjectDir } from './paths.js';
import { toBpfError } from './errors.js';

export interface FeatureResult {
  /** tp_btf, raw_tp, tracepoint, fentry, kprobe */
  attachType: string;
  program: string;
  supported: boolean;
  /** Load or attach error when unsupported. */
  error?: string;
}

export interface FeatureReport {
  btf: boolean;
  tracefsMounted: boolean;
  tracefsPath: string | null;
  features: FeatureResult[];
}

export function tracefsPath(): string | null {
  let mounts = '';
  try {
    mounts = readFileSync('/proc/mounts', 'utf8');
  } catch {
    return null;
  }
  for (const line of mounts.split('\n')) {
    const [, mnt, fstype] = line.split(' ');
    if (fstype === 'tracefs' && mnt) return mnt;
  }
  return null;
}

export async function probeFeatures(objectPath = join(bpfObjectDir(), 'probe', 'feature.bpf.o')): Promise<FeatureReport> {
  const tfs = tracefsPath();
  const report: FeatureReport = {
    btf: existsSync('/sys/kernel/btf/vmlinux'),
    tracefsMounted: tfs !== null,
    tracefsPath: tfs,
    features: [],
  };
  const lister = BpfObject.open(objectPath);
  const programs = lister.programs();
  lister.close();
  for (const p of programs) {
    const attachType = p.section.split('/')[0] ?? p.section;
    const obj = BpfObject.open(objectPath);
    try {
      obj.selectPrograms([p.name]);
      await obj.load();
      obj.attach(p.name).destroy();
      report.features.push({ attachType, program: p.name, supported: true });
    } catch (err) {
      const e = toBpfError(err);
      report.features.push({ attachType, program: p.name, supported: false, error: e.message });
    } finally {
      obj.close();
    }
  }
  return report;
}
