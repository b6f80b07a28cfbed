// Fake terminal streams for driving a whole Ink app (the same shape ink-testing-library uses internally,
// which it does not export), and a bounded wait that polls for content instead of sleeping.
import { EventEmitter } from 'node:events';
import { stripVTControlCharacters } from 'node:util';

export class FakeStdout extends EventEmitter {
  readonly isTTY = true;
  columns = 100;
  rows = 40;
  readonly frames: string[] = [];
  write = (frame: string): boolean => {
    this.frames.push(frame);
    return true;
  };
  /** The last frame with visible content, ANSI escapes removed (Ink ends with a bare show-cursor write). */
  text(): string {
    for (let i = this.frames.length - 1; i >= 0; i--) {
      const text = stripVTControlCharacters(this.frames[i]!);
      if (text.trim()) return text;
    }
    return '';
  }
}

export class FakeStdin extends EventEmitter {
  readonly isTTY = true;
  private data: string | null = null;
  write(data: string): void {
    this.data = data;
    this.emit('readable');
    this.emit('data', data);
  }
  read = (): string | null => {
    const d = this.data;
    this.data = null;
    return d;
  };
  setEncoding(): void {}
  setRawMode(): void {}
  resume(): void {}
  pause(): void {}
  ref(): void {}
  unref(): void {}
}

/** Resolves once `check()` returns true; fails after `timeoutMs` (generous: this is not a timing test). */
export async function waitFor(check: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!check()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

export const strip = (s: string | undefined): string => stripVTControlCharacters(s ?? '');
