import { Box, Text } from 'ink';
import type { CoverageView } from '../view-model.js';
import { TONE_COLOR } from './theme.js';

const COLUMN_WIDTHS = [15, 12, 10, 12, 10, 10];
const RIGHT_ALIGNED = new Set([2, 3, 4, 5]);
// Program, Runs, Avg, CPU, Skipped: "syscall/handle_sys_exit" needs the room.
const COST_WIDTHS = [30, 14, 10, 10, 10];
const COST_RIGHT_ALIGNED = new Set([1, 2, 3, 4]);

/** What could not be observed, first and in words; then the per-collector table. */
export function CoveragePanel({ coverage }: { coverage: CoverageView }) {
  return (
    <Box flexDirection="column" borderStyle="single" borderColor={TONE_COLOR[coverage.tone]} paddingX={1}>
      <Text color={TONE_COLOR[coverage.tone]}>
        {coverage.icon} {coverage.headline}
      </Text>
      {coverage.lines.map((line) => (
        <Text key={`${line.name}:${line.text}`} color={TONE_COLOR[line.tone]}>
          {line.icon} {line.text}
        </Text>
      ))}
      <Box flexDirection="column" marginTop={1}>
        <Row cells={coverage.table.head} bold />
        {coverage.table.rows.map((row) => (
          <Row key={row.cells[0]} cells={row.cells} color={TONE_COLOR[row.tone]} />
        ))}
      </Box>
      {coverage.selfCost && (
        <Box flexDirection="column" marginTop={1}>
          <Text color={TONE_COLOR[coverage.selfCost.tone]}>
            {coverage.selfCost.icon} {coverage.selfCost.line}
          </Text>
          {coverage.selfCost.table.rows.length > 0 && (
            <Row cells={coverage.selfCost.table.head} widths={COST_WIDTHS} bold />
          )}
          {coverage.selfCost.table.rows.map((row) => (
            <Row key={row.cells[0]} cells={row.cells} widths={COST_WIDTHS} color={TONE_COLOR[row.tone]} />
          ))}
        </Box>
      )}
    </Box>
  );
}

function Row({
  cells,
  color,
  bold,
  widths = COLUMN_WIDTHS,
}: {
  cells: string[];
  color?: string;
  bold?: boolean;
  widths?: number[];
}) {
  const right = widths === COST_WIDTHS ? COST_RIGHT_ALIGNED : RIGHT_ALIGNED;
  return (
    <Box>
      {cells.map((cell, i) => (
        <Box
          key={i}
          width={widths[i]}
          flexShrink={0}
          justifyContent={right.has(i) ? 'flex-end' : 'flex-start'}
          paddingRight={1}
        >
          <Text color={color} bold={bold}>
            {cell}
          </Text>
        </Box>
      ))}
    </Box>
  );
}
