// Tone → chalk style for the plain renderer. A private Chalk instance (never the global one) so that
// `color: false` guarantees no escape codes whatever the environment says.
import { Chalk, type ChalkInstance } from 'chalk';
import type { Tone } from '../tone.js';

export interface Palette {
  tone(tone: Tone, text: string): string;
  bold(text: string): string;
  dim(text: string): string;
}

export function makePalette(color: boolean): Palette {
  // Level 1 (16 colours) is enough for the severity palette and renders the same on every terminal.
  const c: ChalkInstance = new Chalk({ level: color ? 1 : 0 });
  const styles: Record<Tone, (s: string) => string> = {
    critical: c.red,
    warning: c.yellow,
    info: c.cyan,
    ok: c.green,
    muted: c.gray,
    plain: (s) => s,
  };
  return { tone: (tone, text) => (text ? styles[tone](text) : text), bold: c.bold, dim: c.dim };
}
