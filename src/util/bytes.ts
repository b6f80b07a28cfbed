// The one byte-size formatter: rule evidence, chaos plans and daemon-client errors print sizes the same way.

const BYTE_UNITS = [
  [1, 'B'],
  [1024, 'KiB'],
  [1024 ** 2, 'MiB'],
  [1024 ** 3, 'GiB'],
  [1024 ** 4, 'TiB'],
  [1024 ** 5, 'PiB'],
] as const;

/** Three significant digits without trailing zeros: 12.3, 5, 0.0512, 1230. */
function sig3(x: number): string {
  return String(Number(x.toPrecision(3)));
}

/** Bytes → "512 B", "1.5 KiB", "248 MiB" (binary units: what cgroup limits are written in); "n/a" if not finite. */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return 'n/a';
  if (bytes < 0) return `-${formatBytes(-bytes)}`;
  // Whole bytes below 1 KiB: "1020 B" (three significant digits) would misstate 1023 bytes.
  if (Math.round(bytes) < 1024) return `${Math.round(bytes)} B`;
  // Pick the unit after rounding, so 1 048 575 bytes reads "1 MiB", not "1020 KiB".
  for (let i = BYTE_UNITS.length - 1; i >= 1; i--) {
    const [div, unit] = BYTE_UNITS[i]!;
    if (bytes >= div || i === 1) {
      const bigger = BYTE_UNITS[i + 1];
      if (bigger !== undefined && Number((bytes / bigger[0]).toPrecision(3)) >= 1) {
        return `${sig3(bytes / bigger[0])} ${bigger[1]}`;
      }
      return `${sig3(bytes / div)} ${unit}`;
    }
  }
  return `${bytes} B`;
}
