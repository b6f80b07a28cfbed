import { Text } from 'ink';
import type { Tone } from '../tone.js';
import { TONE_COLOR } from './theme.js';

export interface BarProps {
  /** Filled fraction in [0, 1]. */
  fill: number;
  cells: number;
  tone: Tone;
  /** Optional marker position in [0, 1] (a threshold). */
  mark?: number;
}

/** A horizontal bar of `cells` characters; only the cell count is derived here, never the meaning. */
export function Bar({ fill, cells, tone, mark }: BarProps) {
  const filled = Math.round(Math.min(1, Math.max(0, fill)) * cells);
  const markAt = mark === undefined ? -1 : Math.min(cells - 1, Math.round(mark * cells));
  const left = markAt >= 0 ? Math.min(filled, markAt) : filled;
  if (markAt < 0) {
    return (
      <Text>
        <Text color={TONE_COLOR[tone]}>{'█'.repeat(filled)}</Text>
        <Text dimColor>{'░'.repeat(cells - filled)}</Text>
      </Text>
    );
  }
  const afterMark = Math.max(0, filled - markAt - 1);
  const beforeMarkEmpty = markAt - left;
  return (
    <Text>
      <Text color={TONE_COLOR[tone]}>{'█'.repeat(left)}</Text>
      <Text dimColor>{'░'.repeat(beforeMarkEmpty)}</Text>
      <Text bold>│</Text>
      <Text color={TONE_COLOR[tone]}>{'█'.repeat(afterMark)}</Text>
      <Text dimColor>{'░'.repeat(cells - markAt - 1 - afterMark)}</Text>
    </Text>
  );
}
