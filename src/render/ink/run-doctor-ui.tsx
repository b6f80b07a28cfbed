// The interactive doctor UI: a live view during the window, then the report, then a clean exit.
//
// Decoupled from the supervisor: it consumes plain data through subscribe/getState and readLive. Collector
// states may change thousands of times a second, so a notification only marks the state dirty; a timer
// samples it at most `1000 / frameIntervalMs` times a second (4 Hz by default) and Ink is capped to the
// same rate. Event counts and top offenders change without any state change, so every frame also reads
// the cheap live counters (readLive), one read at a time. The clock is injectable so tests drive frames
// with fake timers instead of sleeping.
import chalk from 'chalk';
import { render, Static, useApp, useInput, useStdin, type Instance } from 'ink';
import { useEffect, useSyncExternalStore } from 'react';
import type { Report } from '../../doctor/types.js';
import { withLiveCounters, type LiveCollector, type LiveCounters } from '../live-model.js';
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
   * Live counters (events so far, top offender per collector), read once per frame. A read still in
   * flight at the next frame is not doubled; a failed read keeps the last counters.
   */
  readLive?(): Promise<LiveCounters> | LiveCounters;
  /** false for NO_COLOR / --no-color: no ANSI styling at all. Default: Ink's own terminal detection. */
  color?: boolean;
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
  const restoreColor = applyColor(opts.color);
  let base = opts.getState().collectors;
  let live: LiveCounters | undefined;
  const store = new ScreenStore({ phase: 'live', now: clock(), collectors: base, interrupted: false });

  let dirty = false;
  let reading = false;
  let presses = 0;
  const unsubscribe = opts.subscribe(() => {
    dirty = true;
  });
  const publish = (now: number) => {
    const screen = store.get();
    if (screen.phase !== 'live') return;
    store.set({ ...screen, now, collectors: withLiveCounters(base, live) });
  };
  const tick = () => {
    if (store.get().phase !== 'live') return;
    if (dirty) base = opts.getState().collectors;
    dirty = false;
    const now = clock();
    if (!opts.readLive || reading) return publish(now);
    reading = true;
    void (async () => {
      try {
        live = await opts.readLive!();
      } catch {
        // The supervisor isolates each collector's live(); a failure here only costs this frame's counts.
      } finally {
        reading = false;
      }
      publish(now);
    })();
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
      try {
        await instance.waitUntilExit();
      } finally {
        unmounted = true;
        restoreColor();
      }
    },
    unmount() {
      stopLive();
      if (unmounted) return;
      unmounted = true;
      instance.unmount();
      restoreColor();
    },
  };
}

/**
 * Ink styles every Text and border through chalk's shared instance, so that is the one switch for its
 * escapes: level 0 while the UI runs when colour is off (NO_COLOR, --no-color, config no_color), at least
 * level 1 when kerno decided colour is on. Returns the restore function (tests render in one process).
 */
function applyColor(color: boolean | undefined): () => void {
  if (color === undefined) return () => {};
  const before = chalk.level;
  chalk.level = color ? (Math.max(before, 1) as typeof before) : 0;
  return () => {
    chalk.level = before;
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
