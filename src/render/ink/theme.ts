// Tone → Ink colour name: the Ink counterpart of plain/palette.ts.
import type { Tone } from '../tone.js';

export const TONE_COLOR: Readonly<Record<Tone, string | undefined>> = {
  critical: 'red',
  warning: 'yellow',
  info: 'cyan',
  ok: 'green',
  muted: 'gray',
  plain: undefined,
};
