import { Box, Text } from 'ink';
import type { TimelineView } from '../view-model.js';
import { SectionTitle } from './section-title.js';
import { TONE_COLOR } from './theme.js';

/** The causal timeline: chains first (the story in one line each), then every finding by onset. */
export function TimelinePanel({ timeline }: { timeline: TimelineView }) {
  const offsetWidth = Math.max(...timeline.events.map((e) => e.offset.length)) + 1;
  return (
    <Box flexDirection="column" marginTop={1}>
      <SectionTitle title={timeline.title} />
      {timeline.chains.map((chain, i) => (
        <Box key={`chain-${i}`} paddingLeft={2}>
          <Text bold>⇢ </Text>
          <Text>{chain}</Text>
        </Box>
      ))}
      <Box flexDirection="column" marginTop={timeline.chains.length ? 1 : 0}>
        {timeline.events.map((e, i) => (
          <Box key={`event-${i}`} flexDirection="column" paddingLeft={2}>
            <Box>
              <Box width={9 + offsetWidth} flexShrink={0}>
                <Text dimColor>
                  {e.time} {e.offset}
                </Text>
              </Box>
              <Text color={TONE_COLOR[e.tone]}>{e.icon} </Text>
              <Text>{e.text}</Text>
            </Box>
            {e.causes.map((c, j) => (
              <Box key={j} paddingLeft={11 + offsetWidth}>
                <Text dimColor>↳ {c}</Text>
              </Box>
            ))}
          </Box>
        ))}
      </Box>
      <Box paddingLeft={2}>
        <Text dimColor>{timeline.note}</Text>
      </Box>
    </Box>
  );
}
