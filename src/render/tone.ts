// The one table of severity → label/icon/tone. Renderers map a Tone to their own colour primitive
// (chalk function, Ink colour name, markdown emoji), so the palette is decided once per output kind.
import type { Severity } from '../doctor/types.js';

/** Semantic colour of a piece of text; never a concrete colour. */
export type Tone = 'critical' | 'warning' | 'info' | 'ok' | 'muted' | 'plain';

export interface SeverityStyle {
  label: 'CRITICAL' | 'WARNING' | 'INFO';
  icon: string;
  tone: Tone;
}

export const SEVERITY_STYLE: Readonly<Record<Severity, SeverityStyle>> = {
  critical: { label: 'CRITICAL', icon: '●', tone: 'critical' },
  warning: { label: 'WARNING', icon: '▲', tone: 'warning' },
  info: { label: 'INFO', icon: '•', tone: 'info' },
};

export const OK_ICON = '✓';
/** A collector switched off on purpose: not a problem, but not observed either. */
export const OFF_ICON = '–';

/** Markdown has no colour: these emoji carry the severity at a glance in Slack and incident docs. */
export const TONE_EMOJI: Readonly<Record<Tone, string>> = {
  critical: '🔴',
  warning: '🟡',
  info: '🔵',
  ok: '✅',
  muted: '⚪',
  plain: '',
};
