// `kerno doctor --watch` on a TTY: one screen redrawn after every window — NEW, ONGOING and RESOLVED
// findings with what changed in their evidence. Plain data in (WatchView), nothing collected here.
import { Box, render, Text, useApp, useInput, useStdin, type Instance } from 'ink';
import { useEffect, useSyncExternalStore } from 'react';
import { toWatchView, type WatchFrame, type WatchView } from '../watch.js';
import { TONE_COLOR } from './theme.js';

export function WatchScreen({ view, waiting }: { view: WatchView | null; waiting: string }) {
  if (!view) {
    return (
      <Box flexDirection="column">
        <Text bold>KERNO DOCTOR — WATCH</Text>
        <Text dimColor>{waiting}</Text>
        <Text dimColor>[Ctrl+C] quit</Text>
      </Box>
    );
  }
  const labelWidth = Math.max(0, ...view.rows.map((r) => r.label.length)) + 3;
  return (
    <Box flexDirection="column">
      <Box>
        <Text bold>{view.title}</Text>
        <Text dimColor> {view.status}</Text>
      </Box>
      <Box paddingLeft={2}>
        <Text>
          {view.counts}
          {view.partial ? ' (partial window)' : ''}
        </Text>
      </Box>
      {view.empty ? (
        <Box paddingLeft={2}>
          <Text color="green">{view.empty}</Text>
        </Box>
      ) : null}
      <Box flexDirection="column" marginTop={1}>
        {view.rows.map((r, i) => (
          <Box key={i} flexDirection="column" paddingLeft={2}>
            <Box>
              <Box width={labelWidth} flexShrink={0}>
                <Text color={TONE_COLOR[r.tone]} bold>
                  {r.mark} {r.label}
                </Text>
              </Box>
              <Text>
                <Text color={TONE_COLOR[r.severity]}>{r.icon} </Text>
                <Text strikethrough={r.status === 'resolved'} dimColor={r.status === 'resolved'}>
                  {r.title}
                </Text>
                <Text dimColor>{` · ${r.value} · ${r.age}`}</Text>
              </Text>
            </Box>
            {r.changes.map((c, j) => (
              <Box key={j} paddingLeft={labelWidth + 2}>
                <Text color="cyan">{c}</Text>
              </Box>
            ))}
          </Box>
        ))}
      </Box>
      {view.coverage ? (
        <Box paddingLeft={2} marginTop={1}>
          <Text color="yellow">{view.coverage}</Text>
        </Box>
      ) : null}
      <Box marginTop={1}>
        <Text dimColor>{view.footer}</Text>
      </Box>
    </Box>
  );
}

interface Screen {
  view: WatchView | null;
  waiting: string;
  /** The watch is over: exit Ink after this frame is on the terminal. */
  done?: boolean;
}

class Store {
  #screen: Screen;
  readonly #listeners = new Set<() => void>();
  constructor(screen: Screen) {
    this.#screen = screen;
  }
  get = (): Screen => this.#screen;
  set(screen: Screen): void {
    this.#screen = screen;
    for (const l of this.#listeners) l();
  }
  subscribe = (l: () => void): (() => void) => {
    this.#listeners.add(l);
    return () => this.#listeners.delete(l);
  };
}

function WatchApp({ store, onCtrlC }: { store: Store; onCtrlC(): void }) {
  const screen = useSyncExternalStore(store.subscribe, store.get);
  const { isRawModeSupported } = useStdin();
  const { exit } = useApp();
  useEffect(() => {
    if (!screen.done) return;
    // One turn later, so the last frame is committed and written before Ink exits.
    const t = setImmediate(exit);
    return () => clearImmediate(t);
  }, [screen.done, exit]);
  // Raw mode turns Ctrl+C into input; without a TTY on stdin the caller's SIGINT handler sees it instead.
  useInput(
    (input, key) => {
      if (key.ctrl && input === 'c') onCtrlC();
    },
    { isActive: isRawModeSupported && !screen.done },
  );
  return <WatchScreen view={screen.view} waiting={screen.waiting} />;
}

export interface WatchUiOptions {
  /** Shown until the first window ends: "collecting the first 10s window…". */
  waiting: string;
  /** Ctrl+C was pressed (`presses` counts them). */
  onInterrupt(presses: number): void;
  stdout?: NodeJS.WriteStream;
  stdin?: NodeJS.ReadStream;
  stderr?: NodeJS.WriteStream;
  debug?: boolean;
}

export interface WatchUi {
  show(frame: WatchFrame): void;
  /** Leaves the last frame on the terminal and exits Ink. */
  close(): Promise<void>;
  /** Tear down at once (error path). Idempotent. */
  unmount(): void;
}

export function runWatchUi(opts: WatchUiOptions): WatchUi {
  const store = new Store({ view: null, waiting: opts.waiting });
  let presses = 0;
  const instance: Instance = render(
    <WatchApp
      store={store}
      onCtrlC={() => {
        presses += 1;
        opts.onInterrupt(presses);
      }}
    />,
    {
      stdout: opts.stdout,
      stdin: opts.stdin,
      stderr: opts.stderr,
      debug: opts.debug,
      exitOnCtrlC: false,
      patchConsole: false,
    },
  );
  let unmounted = false;
  return {
    show(frame) {
      if (!unmounted) store.set({ view: toWatchView(frame), waiting: opts.waiting });
    },
    async close() {
      if (unmounted) return;
      store.set({ ...store.get(), done: true });
      await instance.waitUntilExit();
      unmounted = true;
    },
    unmount() {
      if (unmounted) return;
      unmounted = true;
      instance.unmount();
    },
  };
}
