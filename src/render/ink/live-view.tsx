import { Box, Text } from 'ink';
import { useEffect, useState } from 'react';
import { toLiveViewModel, type LiveCollector } from '../live-model.js';
import { Bar } from './bar.js';
import { TONE_COLOR } from './theme.js';

export interface LiveViewProps {
  durationNs: number;
  /** Window start, epoch ms. */
  startedAt: number;
  collectors: readonly LiveCollector[];
  /** Current time, epoch ms. Without it the view ticks on its own clock (4 Hz). */
  now?: number;
  interrupted?: boolean;
}

const PROGRESS_CELLS = 30;
const NAME_WIDTH = 15;
const STATE_WIDTH = 12;
const EVENTS_WIDTH = 10;

/** The window in progress: progress bar, countdown, one row per collector with its state and events. */
export function LiveView({ durationNs, startedAt, collectors, now, interrupted }: LiveViewProps) {
  const clock = useOwnClock(now === undefined, startedAt);
  const vm = toLiveViewModel({ durationNs, startedAt, now: now ?? clock, collectors, interrupted });
  return (
    <Box flexDirection="column">
      <Text bold>{vm.title}</Text>
      <Box>
        <Bar fill={vm.progress} cells={PROGRESS_CELLS} tone={interrupted ? 'warning' : 'info'} />
        <Text>
          {' '}
          {vm.percent} · {vm.elapsed} elapsed · {vm.remaining} · {vm.events}
        </Text>
      </Box>
      <Box flexDirection="column" marginTop={1}>
        {/* One Text per row (nested Texts add no layout nodes): this view re-renders 4 times a second.
            Truncated, not wrapped: a long offender label must not push the rows around between frames. */}
        {vm.rows.map((row) => (
          <Text key={row.name} wrap="truncate-end">
            <Text color={TONE_COLOR[row.tone]}>{row.icon} </Text>
            {row.name.padEnd(NAME_WIDTH)}
            <Text color={TONE_COLOR[row.tone]}>{row.state.padEnd(STATE_WIDTH)}</Text>
            {row.events.padStart(EVENTS_WIDTH)}
            {row.top ? `  ${row.top}` : null}
            {row.note ? <Text dimColor>{`  ${row.note}`}</Text> : null}
          </Text>
        ))}
      </Box>
      <Box marginTop={1}>
        <Text color={TONE_COLOR[vm.footer.tone]}>{vm.footer.text}</Text>
      </Box>
    </Box>
  );
}

const OWN_CLOCK_MS = 250;

/** Wall clock sampled on a timer (never during render), only when the parent does not supply `now`. */
function useOwnClock(enabled: boolean, initial: number): number {
  const [now, setNow] = useState(initial);
  useEffect(() => {
    if (!enabled) return;
    const timer = setInterval(() => setNow(Date.now()), OWN_CLOCK_MS);
    return () => clearInterval(timer);
  }, [enabled]);
  return now;
}
