import { Box, Text } from 'ink';
import type { ReactNode } from 'react';

export const LABEL_WIDTH = 10;

/** A dim fixed-width label and a value column that wraps under itself, not under the label. */
export function LabelledRow({
  label,
  width = LABEL_WIDTH,
  children,
}: {
  label: string;
  width?: number;
  children: ReactNode;
}) {
  return (
    <Box>
      <Box width={width} flexShrink={0}>
        <Text dimColor>{label}</Text>
      </Box>
      <Box flexDirection="column" flexGrow={1} flexShrink={1}>
        {children}
      </Box>
    </Box>
  );
}
