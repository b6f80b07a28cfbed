import { Box, Text } from 'ink';
import { OK_ICON } from '../tone.js';
import type { ActionView, SummaryView, ViewModel } from '../view-model.js';
import { CoveragePanel } from './coverage-panel.js';
import { FindingCard } from './finding-card.js';
import { Header } from './header.js';
import { LabelledRow } from './labelled-row.js';
import { SectionTitle } from './section-title.js';
import { TimelinePanel } from './timeline-panel.js';
import { TONE_COLOR } from './theme.js';

export interface ReportViewProps {
  vm: ViewModel;
  /** false for --no-banner. */
  banner?: boolean;
}

/** The finished report: same sections, same order as the plain renderer. */
export function ReportView({ vm, banner = true }: ReportViewProps) {
  return (
    <Box flexDirection="column">
      {banner ? <Header header={vm.header} /> : null}
      {vm.partial ? (
        <Box marginTop={1} paddingLeft={2}>
          <Text color={TONE_COLOR[vm.partial.tone]} bold>
            {vm.partial.icon} {vm.partial.title}
          </Text>
          <Text> {vm.partial.text}</Text>
        </Box>
      ) : null}
      <Box flexDirection="column" marginTop={1}>
        <SectionTitle title="FINDINGS" right={vm.triage.window} />
        <Box paddingLeft={2}>
          <Text>
            {vm.triage.marks.map((m, i) => (
              <Text key={i} color={TONE_COLOR[m.tone]}>
                {m.icon}{' '}
              </Text>
            ))}{' '}
            {vm.triage.counts}
          </Text>
        </Box>
        {vm.triage.hidden ? (
          <Box paddingLeft={2}>
            <Text dimColor>{vm.triage.hidden}</Text>
          </Box>
        ) : null}
      </Box>
      {vm.timeline ? <TimelinePanel timeline={vm.timeline} /> : null}
      {vm.noFindings ? (
        <Box paddingLeft={2} marginTop={1}>
          <Text color="green">{OK_ICON} </Text>
          <Text>{vm.noFindings}</Text>
        </Box>
      ) : null}
      <Box flexDirection="column" marginTop={1}>
        {vm.findings.map((f) => (
          <FindingCard key={f.rank} finding={f} />
        ))}
      </Box>
      {vm.actions.length ? <Actions actions={vm.actions} /> : null}
      <Box flexDirection="column" marginTop={1}>
        <SectionTitle title="COVERAGE" />
        <CoveragePanel coverage={vm.coverage} />
      </Box>
      <Summary summary={vm.summary} />
    </Box>
  );
}

/** "12. [SOON] " */
const ACTION_LEAD_WIDTH = 11;

function Actions({ actions }: { actions: ActionView[] }) {
  return (
    <Box flexDirection="column">
      <SectionTitle title="RECOMMENDED ACTION ORDER" />
      {actions.map((a) => (
        <Box key={a.rank} flexDirection="column" paddingLeft={2}>
          <Box>
            <Box width={ACTION_LEAD_WIDTH} flexShrink={0}>
              <Text>
                {a.rank}.{' '}
                <Text color={TONE_COLOR[a.tone]} bold>
                  [{a.tag}]
                </Text>
              </Text>
            </Box>
            <Text>{a.context ? `${a.title} · ${a.context}` : a.title}</Text>
          </Box>
          {a.command ? (
            <Box paddingLeft={ACTION_LEAD_WIDTH}>
              <Text color="green">{a.command}</Text>
            </Box>
          ) : null}
        </Box>
      ))}
    </Box>
  );
}

const SUMMARY_LABEL_WIDTH = 18;

function Summary({ summary }: { summary: SummaryView }) {
  return (
    <Box flexDirection="column" marginTop={1}>
      <SectionTitle title="SYSTEM SUMMARY" />
      <Box flexDirection="column" paddingLeft={2}>
        {summary.rows.map((row) => (
          <LabelledRow key={row.label} label={row.label} width={SUMMARY_LABEL_WIDTH}>
            <Text>{row.value}</Text>
          </LabelledRow>
        ))}
        {summary.hints.map((h) => (
          <LabelledRow key={h.label} label={h.label} width={SUMMARY_LABEL_WIDTH}>
            <Text dimColor>{h.value}</Text>
          </LabelledRow>
        ))}
      </Box>
    </Box>
  );
}
