import { Box, Text } from 'ink';
import type { HeaderView } from '../view-model.js';
import { LabelledRow } from './labelled-row.js';

export function Header({ header }: { header: HeaderView }) {
  return (
    <Box flexDirection="column">
      <Box borderStyle="round" borderDimColor paddingX={1}>
        <Text bold>{header.title}</Text>
        <Text> · {header.subtitle}</Text>
      </Box>
      <Box flexDirection="column" paddingLeft={2}>
        {header.rows.map((row) => (
          <LabelledRow key={row.label} label={row.label}>
            <Text>{row.value}</Text>
          </LabelledRow>
        ))}
      </Box>
    </Box>
  );
}
