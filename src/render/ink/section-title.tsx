import { Box, Text } from 'ink';

/** " TITLE ──── right": the rule stretches to the terminal width. */
export function SectionTitle({ title, right }: { title: string; right?: string }) {
  return (
    <Box>
      <Text bold> {title} </Text>
      <Box
        flexGrow={1}
        borderStyle="single"
        borderDimColor
        borderTop={false}
        borderLeft={false}
        borderRight={false}
      />
      {right ? <Text> {right}</Text> : null}
    </Box>
  );
}
