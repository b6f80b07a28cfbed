// The interactive doctor UI: a live view during the window, then the report, then a clean exit.
//
// Decoupled from the supervisor: it consumes plain data through subscribe/getState. Collector events may
// arrive thousands of times a second, so a notification only marks the state dirty; a timer samples it at
// most `1000 / frameIntervalMs` times a second (4 Hz by default) and Ink is capped to the same rate. The
// clock is injectable so tests drive frames with fake timers instead of sleeping.
import { render, Static, useApp, useInput, useStdin, type Instance } from 'ink';
import { useEffect, useSyncExternalStore } from 'react';
import type { Report } from '../../doctor/types.js';
import type { LiveCollector } from '../live-model.js';
import { toViewModel, type ViewModel, type ViewModelOptions } from '../view-model.js';
import { LiveView } from './live-view.js';
import { ReportView } from './report-view.js';

export interface LiveState {
  collectors: readonly LiveCollector[];
}

export interface DoctorUiOptions {
  durationNs: number;
  /** Called when the live state changed; returns an unsubscribe function. May be called very often. */
  subscribe(listener: () => void): () => void;
  getState(): LiveState;
  /**
   * Ctrl+C was pressed (`presses` counts them). The first press should end the window early and analyse the
   * partial data; what a repeated press means is the caller's decision.
   */
  onInterrupt(presses: number): void;
  /** Window start, epoch ms; default: now. */
  startedAt?: number;
  /** Default 250 ms (4 frames/s). */
  frameIntervalMs?: number;
  /** Injectable clock (epoch ms) for tests. */
  now?: () => number;
  stdout?: NodeJS.WriteStream;
  stdin?: NodeJS.ReadStream;
  stderr?: NodeJS.WriteStream;
  /** Ink debug mode: every frame written in full (tests). */
  debug?: boolean;
}

export interface ShowReportOptions extends ViewModelOptions {
  /** false for --no-banner. */
  banner?: boolean;
}

export interface DoctorUi {
  /** Replace the live view with the report (written once, above the prompt) and exit Ink. */
  showReport(report: Report, opts?: ShowReportOptions): Promise<void>;
  /** Tear down without a report (error path). Idempotent. */
  unmount(): void;
}

export const DEFAULT_FRAME_INTERVAL_MS = 250;

type Screen =
  | { phase: 'live'; now: number; collectors: readonly LiveCollector[]; interrupted: boolean }
  | { phase: 'report'; vm: ViewModel; banner: boolean };

/** A minimal external store: React reads it with useSyncExternalStore, the timer writes it. */
class ScreenStore {
  private listeners = new Set<() => void>();
  constructor(private screen: Screen) {}
  get = (): Screen => this.screen;
  set(screen: Screen): void {
    this.screen = screen;
    for (const l of this.listeners) l();
  }
  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };
}

export function runDoctorUi(opts: DoctorUiOptions): DoctorUi {
  const clock = opts.now ?? Date.now;
  const startedAt = opts.startedAt ?? clock();
  const interval = opts.frameIntervalMs ?? DEFAULT_FRAME_INTERVAL_MS;
  const store = new ScreenStore({
    phase: 'live',
    now: clock(),
    collectors: opts.getState().collectors,
    interrupted: false,
  });

  let dirty = false;
  let presses = 0;
  const unsubscribe = opts.subscribe(() => {
    dirty = true;
  });
  const tick = () => {
    const screen = store.get();
    if (screen.phase !== 'live') return;
    const collectors = dirty ? opts.getState().collectors : screen.collectors;
    dirty = false;
    store.set({ ...screen, now: clock(), collectors });
  };
  let timer: NodeJS.Timeout | undefined = setInterval(tick, interval);
  const stopLive = () => {
    if (timer) clearInterval(timer);
    timer = undefined;
    unsubscribe();
  };

  const onCtrlC = () => {
    presses += 1;
    const screen = store.get();
    if (screen.phase === 'live' && !screen.interrupted)
      store.set({ ...screen, interrupted: true, now: clock() });
    opts.onInterrupt(presses);
  };

  const instance: Instance = render(
    <DoctorApp store={store} durationNs={opts.durationNs} startedAt={startedAt} onCtrlC={onCtrlC} />,
    {
      stdout: opts.stdout,
      stdin: opts.stdin,
      stderr: opts.stderr,
      debug: opts.debug,
      exitOnCtrlC: false,
      patchConsole: false,
      maxFps: Math.max(1, Math.floor(1000 / interval)),
    },
  );

  let unmounted = false;
  return {
    async showReport(report, showOpts = {}) {
      stopLive();
      if (unmounted) return;
      const { banner = true, ...vmOpts } = showOpts;
      store.set({ phase: 'report', vm: toViewModel(report, vmOpts), banner });
      await instance.waitUntilExit();
      unmounted = true;
    },
    unmount() {
      stopLive();
      if (unmounted) return;
      unmounted = true;
      instance.unmount();
    },
  };
}

interface DoctorAppProps {
  store: ScreenStore;
  durationNs: number;
  startedAt: number;
  onCtrlC(): void;
}

export function DoctorApp({ store, durationNs, startedAt, onCtrlC }: DoctorAppProps) {
  const screen = useSyncExternalStore(store.subscribe, store.get);
  const { exit } = useApp();
  const { isRawModeSupported } = useStdin();
  // Raw mode turns Ctrl+C into input instead of SIGINT; without a TTY on stdin the caller's SIGINT handler
  // sees it instead, so input handling is only switched on where it can work.
  useInput(
    (input, key) => {
      if (key.ctrl && input === 'c') onCtrlC();
    },
    { isActive: isRawModeSupported && screen.phase === 'live' },
  );
  useEffect(() => {
    if (screen.phase !== 'report') return;
    // The report went out through <Static> in the commit that rendered it. Exit one turn later, after
    // <Static> has committed its "already written" state, so the final frame cannot write it a second time.
    const t = setImmediate(exit);
    return () => clearImmediate(t);
  }, [screen.phase, exit]);

  if (screen.phase === 'report') {
    return (
      <Static items={[screen.vm]}>
        {(vm) => <ReportView key="report" vm={vm} banner={screen.banner} />}
      </Static>
    );
  }
  return (
    <LiveView
      durationNs={durationNs}
      startedAt={startedAt}
      now={screen.now}
      collectors={screen.collectors}
      interrupted={screen.interrupted}
    />
  );
}
