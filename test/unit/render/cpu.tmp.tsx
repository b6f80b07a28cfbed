import { runDoctorUi } from '../../../src/render/ink/run-doctor-ui.js';
import { FakeStdin, FakeStdout } from './ink-harness.js';
const interval = Number(process.argv[2]);
const stdout = new FakeStdout();
const names = ['syscall','tcp','fd','memory','pressure','cgroup_memory','oom','sched','disk','kernel'];
let events = 0; const listeners = new Set<() => void>();
const ui = runDoctorUi({ durationNs: 10e9, frameIntervalMs: interval, subscribe: (l) => { listeners.add(l); return () => listeners.delete(l); },
  getState: () => ({ collectors: names.map((name, i) => ({ name, state: 'attached' as const, events: events * (i + 1), restarts: 0 })) }),
  onInterrupt: () => {}, stdout: stdout as any, stdin: new FakeStdin() as any, stderr: new FakeStdout() as any });
const prod = setInterval(() => { for (let i = 0; i < 100; i++) { events++; for (const l of listeners) l(); } }, 10);
await new Promise((r) => setTimeout(r, 1000));
const c0 = process.cpuUsage(); const t0 = performance.now();
await new Promise((r) => setTimeout(r, 5000));
const c = process.cpuUsage(c0); const dt = performance.now() - t0;
clearInterval(prod); ui.unmount();
console.log('interval', interval, 'writes', stdout.frames.length, 'cpu%', ((c.user + c.system) / 1000 / dt * 100).toFixed(2));
