import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const KMSG_FIXTURES = join(import.meta.dirname, '../../fixtures/kmsg');

/** A capture of `cat /dev/kmsg`: a record per line, dictionary lines (leading space) belong to the record above. */
export function records(name: string): string[] {
  const out: string[] = [];
  for (const line of readFileSync(join(KMSG_FIXTURES, name), 'utf8').split('\n')) {
    if (line.length === 0) continue;
    if (line.startsWith(' ') && out.length > 0) out[out.length - 1] += `${line}\n`;
    else out.push(`${line}\n`);
  }
  return out;
}
