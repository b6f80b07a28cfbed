import { Box, Text } from 'ink';
import type { FindingView } from '../view-model.js';
import { Bar } from './bar.js';
import { LabelledRow } from './labelled-row.js';
import { SeverityBadge } from './severity-badge.js';
import { TONE_COLOR } from './theme.js';

const BAR_CELLS = 24;

export function FindingCard({ finding: f }: { finding: FindingView }) {
  const color = TONE_COLOR[f.tone];
  return (
    <Box flexDirection="column" marginBottom={1}>
      <Box borderStyle="bold" borderColor={color} paddingX={1}>
        <SeverityBadge icon={f.icon} label={f.label} tone={f.tone} />
        <Box flexGrow={1} flexShrink={1} marginLeft={2}>
          <Text bold>{f.title}</Text>
        </Box>
        {f.eta ? <Text color={color}> ETA {f.eta}</Text> : null}
      </Box>
      <Box flexDirection="column" paddingLeft={2}>
        {f.rows.map((row) => (
          <LabelledRow key={row.label} label={row.label}>
            <Text>{row.value}</Text>
          </LabelledRow>
        ))}
        {f.evidence.length ? (
          <LabelledRow label="Evidence">
            {f.evidence.map((e, i) => (
              <Text key={i}>• {e}</Text>
            ))}
          </LabelledRow>
        ) : null}
        {f.measure ? (
          <LabelledRow label="Value">
            <Text>
              <Bar fill={f.measure.fill} mark={f.measure.mark} cells={BAR_CELLS} tone={f.tone} />
              {`  ${f.measure.value} (threshold ${f.measure.threshold}, ${f.measure.ratio})`}
            </Text>
          </LabelledRow>
        ) : null}
        <LabelledRow label="Cause">
          <Text>{f.cause}</Text>
        </LabelledRow>
        <LabelledRow label="Impact">
          <Text>{f.impact}</Text>
        </LabelledRow>
        {f.fix.length ? (
          <Box flexDirection="column">
            <Text dimColor>Fix</Text>
            {f.fix.map((cmd, i) => (
              <Box key={i} paddingLeft={2}>
                <Text color="green">{cmd}</Text>
              </Box>
            ))}
          </Box>
        ) : null}
      </Box>
    </Box>
  );
}
