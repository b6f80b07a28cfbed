// The live `kerno watch` screen on a terminal: Ink redraws the latest window in place (the table text is
// laid out by text.ts, so the TTY and the pipe show the same cells). Loaded only on a TTY.
import { render, Text, type Instance } from 'ink';

export interface LiveWatch {
  show(frame: string): void;
  /** Leaves the last frame on screen. Idempotent. */
  close(): void;
}

function Frame({ text }: { text: string }) {
  return <Text>{text.replace(/\n$/, '')}</Text>;
}

export function startLiveWatch(opts: { stdout?: NodeJS.WriteStream; waiting: string }): LiveWatch {
  const instance: Instance = render(<Frame text={opts.waiting} />, {
    stdout: opts.stdout ?? process.stdout,
    // Ctrl+C reaches the command through its AbortSignal (bin/kerno.ts), not through Ink.
    exitOnCtrlC: false,
    patchConsole: false,
  });
  let closed = false;
  return {
    show(frame) {
      if (!closed) instance.rerender(<Frame text={frame} />);
    },
    close() {
      if (closed) return;
      closed = true;
      instance.unmount();
    },
  };
}
