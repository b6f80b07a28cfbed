import { Text } from 'ink';
import type { Tone } from '../tone.js';
import { TONE_COLOR } from './theme.js';

export interface SeverityBadgeProps {
  icon: string;
  label: string;
  tone: Tone;
}

export function SeverityBadge({ icon, label, tone }: SeverityBadgeProps) {
  return (
    <Text color={TONE_COLOR[tone]} bold>
      {icon} {label}
    </Text>
  );
}
