// `kerno trace syscall --top` on a terminal: the slowest (syscall, process) pairs of the last window,
// redrawn in place once per window. No input handling: Ctrl+C stays a SIGINT the command handles.
import { render, Box, Text, type Instance } from 'ink';
import type { TopWindow } from '../../trace/index.js';
import { TOP_HEAD, clockTime, formatLatency, topTableRows } from '../trace/lines.js';
import { TONE_COLOR } from './theme.js';

export interface TraceTopProps {
  window: TopWindow | undefined;
  n: number;
  /** Filters in effect, shown under the title ("pid 42, comm nginx"). */
  filters: string;
  /** Drops so far, 0 = none (then nothing is shown). */
  dropped: number;
}

const WIDTHS = [16, 28, 8, 9, 9, 9];

function cells(c: readonly string[]): string[] {
  return c.map((s, i) => (i >= 2 ? s.padStart(WIDTHS[i]!) : s.padEnd(WIDTHS[i]!)));
}

export function TraceTopView({ window: w, n, filters, dropped }: TraceTopProps) {
  const rows = w ? topTableRows(w, n) : [];
  return (
    <Box flexDirection="column">
      <Text bold>
        kerno trace syscall --top {n}
        <Text dimColor>
          {w
            ? `  ${clockTime(w.timestamp)} · last ${formatLatency(w.windowNs)}`
            : '  waiting for the first window…'}
          {filters ? ` · ${filters}` : ''}
        </Text>
      </Text>
      <Text bold>{cells(TOP_HEAD).join('  ')}</Text>
      {rows.map((r) => {
        const c = cells([r.syscall, r.process, r.count, r.p50, r.p95, r.p99]);
        return (
          <Text key={`${r.syscall}:${r.process}`}>
            {c.slice(0, 5).join('  ')}
            {'  '}
            <Text color={TONE_COLOR[r.p99Tone]}>{c[5]}</Text>
          </Text>
        );
      })}
      {w && rows.length === 0 ? <Text dimColor>(no syscalls matched in this window)</Text> : null}
      {dropped > 0 ? (
        <Text color={TONE_COLOR.warning}>{dropped} samples dropped (state maps full)</Text>
      ) : null}
      <Text dimColor>Ctrl+C to stop</Text>
    </Box>
  );
}

export interface TraceTopUi {
  update(w: TopWindow, dropped: number): void;
  unmount(): void;
}

export function runTraceTopUi(
  props: Omit<TraceTopProps, 'window' | 'dropped'>,
  opts: { stdout?: NodeJS.WriteStream; debug?: boolean } = {},
): TraceTopUi {
  const instance: Instance = render(<TraceTopView {...props} window={undefined} dropped={0} />, {
    // Ink takes an explicit `stdout: undefined` as the stream itself: only pass what was given.
    ...(opts.stdout ? { stdout: opts.stdout } : {}),
    ...(opts.debug !== undefined ? { debug: opts.debug } : {}),
    exitOnCtrlC: false,
    patchConsole: false,
  });
  let done = false;
  return {
    update(w, dropped) {
      if (!done) instance.rerender(<TraceTopView {...props} window={w} dropped={dropped} />);
    },
    unmount() {
      if (done) return;
      done = true;
      instance.unmount();
    },
  };
}
