// runDaemon end to end over real loopback HTTP, with a FakeCollection standing in for the collectors (the
// real collectors and kernel are exercised in test/kernel/daemon.test.ts).
import { afterEach, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultConfig, type Config } from '../../../src/config/index.js';
import {
  runDaemon,
  type DaemonIO,
  type DaemonOptions,
  type DaemonOutcome,
  type DaemonStarted,
} from '../../../src/daemon/daemon.js';
import { ALL_RULES } from '../../../rules/index.js';
import type { Logger } from '../../../src/runtime/log.js';
import { SCHEMA_VERSION } from '../../../src/signals/types.js';
import { deferred, FakeCollection, http, rawConnection, status } from './helpers.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'kerno-test-daemon-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function config(over: Partial<Config['daemon']> = {}, top: Partial<Config> = {}): Config {
  const c = defaultConfig();
  return {
    ...c,
    log_format: 'json',
    ...top,
    daemon: { ...c.daemon, listen: '127.0.0.1:0', state_dir: dir, interval: 1e9, ...over },
  };
}

interface Harness {
  collection: FakeCollection;
  abort: AbortController;
  signals: EventEmitter;
  err: string[];
  logs(): Record<string, unknown>[];
  listening: Promise<DaemonStarted>;
  started: Promise<DaemonStarted>;
  done: Promise<DaemonOutcome>;
}

function start(cfg: Config, extra: Partial<DaemonOptions> = {}, collection = new FakeCollection()): Harness {
  const abort = new AbortController();
  const signals = new EventEmitter();
  const err: string[] = [];
  const io: DaemonIO = { err: (s) => void err.push(s), signal: abort.signal, env: {} };
  const listening = deferred<DaemonStarted>();
  const started = deferred<DaemonStarted>();
  const done = runDaemon(
    {
      config: cfg,
      rules: ALL_RULES,
      createCollection: () => collection,
      signals,
      onListening: listening.resolve,
      onStarted: started.resolve,
      drainMs: 2_000,
      metricsCacheMs: 0,
      ...extra,
    },
    io,
  );
  return {
    collection,
    abort,
    signals,
    err,
    logs: () => err.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>),
    listening: listening.promise,
    started: started.promise,
    done,
  };
}

async function until(cond: () => boolean | Promise<boolean>, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('runDaemon', () => {
  test('startup: liveness at once, readiness 503 while collectors load, 200 once a program is loaded', async () => {
    const collection = new FakeCollection([status('syscall', { state: 'loading', programsLoaded: 0 })]);
    const gate = deferred();
    collection.startGate = gate.promise;
    const h = start(config(), {}, collection);
    const { url } = await h.listening;
    const live = await http(`${url}/healthz`);
    assert.equal(live.status, 200);
    assert.equal(JSON.parse(live.body).status, 'ok');
    const notReady = await http(`${url}/readyz`);
    assert.equal(notReady.status, 503);
    assert.match(String(notReady.headers['content-type']), /^application\/json/);
    assert.deepEqual(
      { s: JSON.parse(notReady.body).status, r: JSON.parse(notReady.body).reason },
      { s: 'not_ready', r: 'collectors are still loading' },
    );
    const pending = await http(`${url}/findings`);
    assert.equal(pending.status, 503);
    assert.match(JSON.parse(pending.body).message, /collectors are still loading/);
    collection.collectors = [status('syscall')];
    gate.resolve();
    await h.started;
    const ready = await http(`${url}/readyz`);
    assert.equal(ready.status, 200);
    assert.equal(JSON.parse(ready.body).status, 'ready');
    assert.ok(
      h.err.some((l) => l.startsWith('kerno daemon running')),
      'banner on stderr',
    );
    h.abort.abort();
    assert.equal(await h.done, 'stopped');
  });

  test('/metrics, /findings after the first window, /panics, index; the windows keep resetting', async () => {
    const h = start(config());
    const { url } = await h.started;
    const m = await http(`${url}/metrics`);
    assert.equal(m.status, 200);
    assert.match(m.body, /^kerno_info\{version="[^"]+"\} 1$/m);
    assert.match(
      m.body,
      /^kerno_build_info\{version="[^"]+",revision="[^"]+",node="v[^"]+",libbpf="[^"]+"\} 1$/m,
    );
    assert.equal(h.collection.metricsCalls, 1);
    const m2 = await http(`${url}/metrics`);
    assert.match(m2.body, /^kerno_http_requests_total\{handler="\/metrics",code="200"\} 1$/m);
    await until(async () => (await http(`${url}/findings`)).status === 200, 'the first diagnosis window');
    const f = await http(`${url}/findings`);
    const report = JSON.parse(f.body);
    assert.equal(report.schemaVersion, SCHEMA_VERSION);
    assert.ok(Array.isArray(report.findings));
    assert.ok(h.collection.snapshotCalls >= 1 && h.collection.resetCalls >= 1);
    const p = await http(`${url}/panics`);
    assert.deepEqual(JSON.parse(p.body), { count: 0, corruptRecords: 0, incidents: [] });
    assert.match((await http(`${url}/`)).body, /\/metrics +Prometheus exposition/);
    h.abort.abort();
    assert.equal(await h.done, 'stopped');
  });

  test('shutdown: readiness 503 "shutting_down" while draining, then collectors stop and it resolves 0', async () => {
    const h = start(config());
    const { url, port } = await h.started;
    // A scrape in flight when SIGTERM arrives keeps its connection open while the server drains.
    const gate = deferred();
    const inFlight = deferred();
    h.collection.metricsGate = gate.promise;
    h.collection.onMetricsCalled = () => inFlight.resolve();
    const conn = rawConnection(port);
    await conn.connected;
    conn.get('/metrics');
    await inFlight.promise;
    h.abort.abort();
    await until(() => h.logs().some((l) => l.msg === 'kerno daemon stopping'), 'shutdown to begin');
    conn.get('/readyz'); // pipelined on the busy connection: answered during the drain
    await assert.rejects(http(`${url}/healthz`), /ECONNREFUSED/, 'no new connections while draining');
    assert.equal(h.collection.stopCalls, 0, 'collectors stop only after the server drained');
    gate.resolve();
    const text = await conn.closed;
    assert.match(text, /^HTTP\/1\.1 200 OK[\s\S]*kerno_info/);
    const ready = /HTTP\/1\.1 503 Service Unavailable[\s\S]*?\r\n\r\n(\{.*\})\n/.exec(text);
    assert.ok(ready, `no 503 readiness answer in:\n${text.slice(-400)}`);
    assert.equal(JSON.parse(ready[1]!).status, 'shutting_down');
    assert.equal(await h.done, 'stopped');
    assert.equal(h.collection.stopCalls, 1);
    assert.equal(h.signals.listenerCount('SIGHUP'), 0, 'the SIGHUP listener is removed');
    assert.ok(h.logs().some((l) => l.msg === 'kerno daemon stopped'));
  });

  test('a shutdown while collectors are still loading does not wait for them', async () => {
    const collection = new FakeCollection();
    collection.startGate = new Promise(() => {}); // never finishes loading
    const h = start(config(), {}, collection);
    await h.listening;
    h.abort.abort();
    assert.equal(await h.done, 'stopped');
    assert.equal(collection.stopCalls, 1);
  });

  test('a fail_fast collector failure shuts the daemon down with exit code 1', async () => {
    const h = start(config());
    await h.started;
    h.collection.failFast(new Error('collector syscall failed (policy fail_fast): boom'));
    assert.equal(await h.done, 'failed');
    assert.ok(h.logs().some((l) => String(l.msg).includes('fail_fast')));
  });

  test('bearer auth: /metrics, /findings and /panics need the token; probes stay open; SIGHUP rotates it', async () => {
    const tokenPath = join(dir, 'token');
    writeFileSync(tokenPath, 'first-token\n');
    chmodSync(tokenPath, 0o600);
    const cfg = config({ metrics_token_file: tokenPath });
    const h = start(cfg, { reloadConfig: () => cfg });
    const { url } = await h.started;
    for (const path of ['/metrics', '/findings', '/panics']) {
      const r = await http(`${url}${path}`);
      assert.equal(r.status, 401, path);
      assert.equal(r.headers['www-authenticate'], 'Bearer realm="kerno"');
    }
    assert.equal((await http(`${url}/metrics`, { headers: { Authorization: 'Bearer wrong' } })).status, 401);
    const ok = await http(`${url}/metrics`, { headers: { Authorization: 'Bearer first-token' } });
    assert.equal(ok.status, 200);
    assert.equal((await http(`${url}/healthz`)).status, 200);
    assert.equal((await http(`${url}/readyz`)).status, 200);
    writeFileSync(tokenPath, 'second-token\n');
    h.signals.emit('SIGHUP');
    assert.equal(
      (await http(`${url}/metrics`, { headers: { Authorization: 'Bearer first-token' } })).status,
      401,
    );
    assert.equal(
      (await http(`${url}/metrics`, { headers: { Authorization: 'Bearer second-token' } })).status,
      200,
    );
    // A botched rotation (empty file) keeps the previous token in force.
    writeFileSync(tokenPath, '');
    h.signals.emit('SIGHUP');
    assert.equal(
      (await http(`${url}/metrics`, { headers: { Authorization: 'Bearer second-token' } })).status,
      200,
    );
    assert.ok(
      h.logs().some((l) => l.msg === 'metrics token reload failed; the previous token stays in force'),
    );
    h.abort.abort();
    assert.equal(await h.done, 'stopped');
  });

  test('SIGHUP: log level applies at once (also to loggers handed out earlier); a new listen address needs a restart', async () => {
    const cfg = config({}, { log_level: 'info' });
    let next = cfg;
    let collectionLogger: Logger | undefined;
    const collection = new FakeCollection();
    const h = start(cfg, {
      reloadConfig: () => next,
      createCollection: (args) => ((collectionLogger = args.logger.child({ collector: 'x' })), collection),
    });
    const { url } = await h.started;
    collectionLogger!.debug('before reload');
    next = { ...cfg, log_level: 'debug', daemon: { ...cfg.daemon, listen: '0.0.0.0:9999' } };
    h.signals.emit('SIGHUP');
    collectionLogger!.debug('after reload');
    const msgs = h.logs().map((l) => l.msg);
    assert.ok(!msgs.includes('before reload'));
    assert.ok(msgs.includes('after reload'));
    const reloaded = h.logs().find((l) => String(l.msg).startsWith('config reloaded'));
    assert.ok(reloaded);
    assert.equal(reloaded.msg, 'config reloaded; 1 changes applied; 1 changes require restart');
    assert.deepEqual(reloaded.applied, ['log_level']);
    assert.deepEqual(reloaded.restart_required, ['daemon.listen']);
    assert.ok(
      h
        .logs()
        .some((l) => l.msg === 'config change needs a restart to take effect' && l.key === 'daemon.listen'),
    );
    assert.equal((await http(`${url}/healthz`)).status, 200, 'still serving on the old address');
    h.abort.abort();
    assert.equal(await h.done, 'stopped');
  });

  test('SIGHUP with an invalid configuration keeps the running one', async () => {
    const cfg = config();
    const h = start(cfg, {
      reloadConfig: () => {
        throw new Error('doctor.duration: must be between 1s and 5m, got "9h"');
      },
    });
    const { url } = await h.started;
    h.signals.emit('SIGHUP');
    assert.ok(
      h
        .logs()
        .some(
          (l) =>
            l.msg === 'config reload failed; keeping the current configuration' &&
            String(l.error).includes('9h'),
        ),
    );
    assert.equal((await http(`${url}/readyz`)).status, 200);
    h.abort.abort();
    assert.equal(await h.done, 'stopped');
  });

  test('warns when the data endpoints are served without a token on a non-loopback address', async () => {
    let h = start(config({ listen: '0.0.0.0:0' }));
    await h.started;
    h.abort.abort();
    assert.equal(await h.done, 'stopped');
    assert.ok(
      h
        .logs()
        .some((l) => String(l.msg).startsWith('serving /metrics, /findings and /panics without a token')),
    );
    h = start(config());
    await h.started;
    h.abort.abort();
    await h.done;
    assert.ok(!h.logs().some((l) => String(l.msg).includes('without a token')), 'loopback is fine');
  });

  test('startup errors: unreadable token file → exit 3; port in use → exit 1; one line each on stderr', async () => {
    let h = start(config({ metrics_token_file: join(dir, 'missing') }));
    assert.equal(await h.done, 'bad_config');
    assert.deepEqual(h.err, [`kerno: metrics token file ${join(dir, 'missing')}: cannot read: ENOENT\n`]);

    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as { port: number }).port;
    try {
      h = start(config({ listen: `127.0.0.1:${port}` }));
      assert.equal(await h.done, 'failed');
      assert.ok(
        h.err.includes(`kerno: listen 127.0.0.1:${port}: address already in use (EADDRINUSE)\n`),
        h.err.join(''),
      );
      assert.equal(h.collection.stopCalls, 0, 'nothing was started');
    } finally {
      blocker.close();
    }
  });
});
