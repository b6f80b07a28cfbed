import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, defaultConfig, loadConfig, type LoadOptions } from '../../../src/config/index.js';
import { DEFAULT_THRESHOLDS } from '../../../src/doctor/thresholds.js';
import { scratch } from './helpers.js';

const S = 1_000_000_000;
const dir = scratch();
after(() => dir.remove());

let n = 0;
/** A fresh, isolated discovery context: no real /etc, $HOME or cwd is ever read. */
function isolated(): Required<Pick<LoadOptions, 'cwd' | 'home' | 'etcDir' | 'env'>> {
  const base = join(dir.root, `ctx-${n++}`);
  for (const d of ['cwd', 'home', 'etc']) mkdirSync(join(base, d), { recursive: true });
  return { cwd: join(base, 'cwd'), home: join(base, 'home'), etcDir: join(base, 'etc'), env: {} };
}

function load(opts: LoadOptions = {}) {
  return loadConfig({ ...isolated(), ...opts });
}

/** Write a config file and load it by --config. */
function loadFile(yaml: string, opts: LoadOptions = {}) {
  const path = dir.write(`file-${n++}.yaml`, yaml);
  return { path, result: () => load({ explicitPath: path, ...opts }) };
}

function assertConfigError(fn: () => unknown, message: string) {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof ConfigError, `expected ConfigError, got ${String(err)}`);
    assert.equal(err.message, message);
    assert.ok(!err.message.includes('\n'), 'message must be one line');
    return true;
  });
}

describe('precedence: flags > env > file > defaults', () => {
  const { path } = loadFile(
    [
      'log_level: warn',
      'collectors:',
      '  tcp: false',
      '  disk: false',
      'doctor:',
      '  duration: 20s',
      '  output: json',
      '  thresholds:',
      '    tcp_retransmit_pct: 3',
      '    fd_growth_per_sec: 20',
      'daemon:',
      '  listen: 0.0.0.0:9100',
    ].join('\n'),
  );
  const env = {
    KERNO_LOG_LEVEL: 'error',
    KERNO_DOCTOR_DURATION: '15s',
    KERNO_DOCTOR_THRESHOLDS_TCP_RETRANSMIT_PCT: '4',
    KERNO_COLLECTORS_DISK: 'true',
  };
  const flags = {
    log_level: 'debug' as const,
    doctor: { output: 'md' as const },
    collectors: { disk: false },
  };

  test('file beats defaults', () => {
    const { config, source } = load({ explicitPath: path });
    assert.equal(source, path);
    assert.equal(config.log_level, 'warn');
    assert.equal(config.collectors.tcp, false);
    assert.equal(config.collectors.syscall, true);
    assert.equal(config.doctor.duration, 20 * S);
    assert.equal(config.doctor.interval, 60 * S);
    assert.equal(config.daemon.listen, '0.0.0.0:9100');
    assert.deepEqual(config.doctor.thresholds, {
      ...DEFAULT_THRESHOLDS,
      tcp_retransmit_pct: 3,
      fd_growth_per_sec: 20,
    });
  });

  test('env beats file', () => {
    const { config } = load({ explicitPath: path, env });
    assert.equal(config.log_level, 'error');
    assert.equal(config.doctor.duration, 15 * S);
    assert.equal(config.doctor.thresholds.tcp_retransmit_pct, 4);
    assert.equal(config.doctor.thresholds.fd_growth_per_sec, 20); // file value, env did not touch it
    assert.equal(config.collectors.disk, true);
    assert.equal(config.collectors.tcp, false);
  });

  test('flags beat env and file', () => {
    const { config } = load({ explicitPath: path, env, flags });
    assert.equal(config.log_level, 'debug');
    assert.equal(config.doctor.output, 'md');
    assert.equal(config.collectors.disk, false);
    assert.equal(config.doctor.duration, 15 * S); // no flag: env still wins over the file
  });

  test('flag text is coerced like env text; undefined flags are ignored', () => {
    const { config } = load({
      env,
      flags: { doctor: { duration: '45s', interval: undefined }, no_color: 'true' as unknown as boolean },
    });
    assert.equal(config.doctor.duration, 45 * S);
    assert.equal(config.doctor.interval, 60 * S);
    assert.equal(config.no_color, true);
  });
});

describe('env coercion', () => {
  test('booleans', () => {
    const truthy = ['true', 'TRUE', '1', 'yes', 'on', ' true '];
    const falsy = ['false', 'False', '0', 'no', 'off'];
    for (const v of truthy) assert.equal(load({ env: { KERNO_NO_COLOR: v } }).config.no_color, true, v);
    for (const v of falsy)
      assert.equal(load({ env: { KERNO_COLLECTORS_TCP: v } }).config.collectors.tcp, false, v);
  });

  test('numbers', () => {
    const t = (v: string) =>
      load({ env: { KERNO_DOCTOR_THRESHOLDS_TCP_RETRANSMIT_PCT: v } }).config.doctor.thresholds
        .tcp_retransmit_pct;
    assert.equal(t('2.5'), 2.5);
    assert.equal(t('1e3'), 1000);
    assert.equal(t('.5'), 0.5);
    assert.equal(t('0'), 0);
    const oom = load({ env: { KERNO_DOCTOR_THRESHOLDS_OOM_MEMORY_PCT: '-1' } }).config.doctor.thresholds;
    assert.equal(oom.oom_memory_pct, -1); // negative disables the OOM rule (reference §4.2)
  });

  test('durations', () => {
    const { config } = load({
      env: {
        KERNO_DOCTOR_DURATION: '1m30s',
        KERNO_RUNTIME_STOP_TIMEOUT: '500ms',
        KERNO_DAEMON_INTERVAL: '2h',
      },
    });
    assert.equal(config.doctor.duration, 90 * S);
    assert.equal(config.runtime.stop_timeout, S / 2);
    assert.equal(config.daemon.interval, 7200 * S);
  });

  test('enums, strings and maps', () => {
    const { config } = load({
      env: {
        KERNO_LOG_FORMAT: 'json',
        KERNO_RUNTIME_FAILURE_POLICY_OVERRIDES_CGROUP_MEMORY: 'isolate',
        KERNO_DAEMON_STATE_DIR: '/tmp/kerno-state',
        KERNO_DAEMON_NETCONSOLE_NODES: '10.0.0.5=web-1, 10.0.0.6=web-2',
      },
    });
    assert.equal(config.log_format, 'json');
    assert.deepEqual(config.runtime.failure_policy.overrides, { cgroup_memory: 'isolate' });
    assert.equal(config.daemon.state_dir, '/tmp/kerno-state');
    assert.deepEqual(config.daemon.netconsole_nodes, { '10.0.0.5': 'web-1', '10.0.0.6': 'web-2' });
  });

  test('an empty variable counts as unset', () => {
    const { path } = loadFile('log_level: warn\n');
    const { config } = load({
      explicitPath: path,
      env: { KERNO_LOG_LEVEL: '', KERNO_DOCTOR_DURATION: '  ' },
    });
    assert.equal(config.log_level, 'warn');
    assert.equal(config.doctor.duration, 30 * S);
  });

  test('special names: KERNO_CGROUP_ROOT, KERNO_PANIC_LOG_DIR, NO_COLOR', () => {
    const { config } = load({
      env: {
        KERNO_CGROUP_ROOT: '/sys/fs/cgroup/memory',
        KERNO_PANIC_LOG_DIR: '/var/log/kerno',
        NO_COLOR: '1',
      },
    });
    assert.equal(config.cgroup_root, '/sys/fs/cgroup/memory');
    assert.equal(config.runtime.panic_dir, '/var/log/kerno');
    assert.equal(config.no_color, true);
    // The canonical names win over the aliases.
    const both = load({
      env: {
        KERNO_PANIC_LOG_DIR: '/a',
        KERNO_RUNTIME_PANIC_DIR: '/b',
        NO_COLOR: '1',
        KERNO_NO_COLOR: 'false',
      },
    }).config;
    assert.equal(both.runtime.panic_dir, '/b');
    assert.equal(both.no_color, false);
  });

  test('KERNO_CGROUP_ROOT overrides the file', () => {
    const { path } = loadFile('cgroup_root: /from/file\n');
    assert.equal(load({ explicitPath: path }).config.cgroup_root, '/from/file');
    const { config } = load({ explicitPath: path, env: { KERNO_CGROUP_ROOT: '/from/env' } });
    assert.equal(config.cgroup_root, '/from/env');
  });
});

describe('bad input gives one precise line', () => {
  test('durations from the file', () => {
    for (const [value, problem] of [
      ['abc', 'expected a number followed by a unit (ns, us, ms, s, m, h)'],
      ['0s', 'must be between 1s and 5m'],
      ['10m', 'must be between 1s and 5m'],
      ['-5s', 'must not be negative'],
    ]) {
      const { path, result } = loadFile(`doctor:\n  duration: ${value}\n`);
      assertConfigError(result, `doctor.duration: ${problem}, got "${value}" (in ${path})`);
    }
    const { path, result } = loadFile('doctor:\n  duration: 30\n');
    assertConfigError(result, `doctor.duration: expected a duration such as "30s", got 30 (in ${path})`);
  });

  test('durations from env and flags', () => {
    assertConfigError(
      () => load({ env: { KERNO_DOCTOR_DURATION: '10m' } }),
      'KERNO_DOCTOR_DURATION: must be between 1s and 5m, got "10m"',
    );
    assertConfigError(
      () => load({ env: { KERNO_DOCTOR_DURATION: '10' } }),
      'KERNO_DOCTOR_DURATION: missing unit (ns, us, ms, s, m, h), got "10"',
    );
    assertConfigError(
      () => load({ env: { KERNO_DOCTOR_INTERVAL: '500ms' } }),
      'KERNO_DOCTOR_INTERVAL: must be at least 1s, got "500ms"',
    );
    assertConfigError(
      () => load({ env: { KERNO_RUNTIME_STOP_TIMEOUT: '0s' } }),
      'KERNO_RUNTIME_STOP_TIMEOUT: must be greater than 0, got "0s"',
    );
    assertConfigError(
      () => load({ flags: { doctor: { duration: 'abc' } }, flagNames: { 'doctor.duration': '--duration' } }),
      '--duration: expected a number followed by a unit (ns, us, ms, s, m, h), got "abc"',
    );
    assertConfigError(
      () => load({ flags: { doctor: { duration: '0s' } } }),
      'doctor.duration: must be between 1s and 5m, got "0s" (from command-line flags)',
    );
  });

  test('enums', () => {
    const { path, result } = loadFile('log_level: loud\n');
    assertConfigError(result, `log_level: must be one of debug, info, warn, error, got "loud" (in ${path})`);
    assertConfigError(
      () => load({ env: { KERNO_DOCTOR_OUTPUT: 'html' } }),
      'KERNO_DOCTOR_OUTPUT: must be one of auto, pretty, plain, json, md, got "html"',
    );
    assertConfigError(
      () => load({ env: { KERNO_RUNTIME_FAILURE_POLICY_DEFAULT: 'fail-fast' } }),
      'KERNO_RUNTIME_FAILURE_POLICY_DEFAULT: must be one of restart, isolate, fail_fast, got "fail-fast"',
    );
    assertConfigError(
      () => load({ flags: { log_format: 'xml' as 'json' }, flagNames: { log_format: '--log-format' } }),
      '--log-format: must be one of auto, text, json, got "xml"',
    );
  });

  test('booleans', () => {
    assertConfigError(
      () => load({ env: { KERNO_COLLECTORS_TCP: 'maybe' } }),
      'KERNO_COLLECTORS_TCP: expected true or false, got "maybe"',
    );
    const { path, result } = loadFile('collectors:\n  oom: "no"\n');
    assertConfigError(result, `collectors.oom: expected true or false, got "no" (in ${path})`);
  });

  test('thresholds', () => {
    const bad = loadFile('doctor:\n  thresholds:\n    tcp_retransmit_pct: abc\n');
    assertConfigError(
      bad.result,
      `doctor.thresholds.tcp_retransmit_pct: expected a number, got "abc" (in ${bad.path})`,
    );
    assertConfigError(
      () => load({ env: { KERNO_DOCTOR_THRESHOLDS_FD_GROWTH_PER_SEC: 'lots' } }),
      'KERNO_DOCTOR_THRESHOLDS_FD_GROWTH_PER_SEC: expected a number, got "lots"',
    );
    assertConfigError(
      () => load({ env: { KERNO_DOCTOR_THRESHOLDS_TCP_RETRANSMIT_PCT: '-2' } }),
      'KERNO_DOCTOR_THRESHOLDS_TCP_RETRANSMIT_PCT: must not be negative, got -2',
    );
    const inf = loadFile('doctor:\n  thresholds:\n    disk_p99_warning_ns: .inf\n');
    assertConfigError(
      inf.result,
      `doctor.thresholds.disk_p99_warning_ns: must be a finite number, got Infinity (in ${inf.path})`,
    );
  });

  test('daemon addresses and URLs', () => {
    assertConfigError(
      () => load({ env: { KERNO_DAEMON_LISTEN: 'localhost' } }),
      'KERNO_DAEMON_LISTEN: expected host:port, e.g. "127.0.0.1:9733", got "localhost"',
    );
    assertConfigError(
      () => load({ env: { KERNO_DAEMON_LISTEN: ':70000' } }),
      'KERNO_DAEMON_LISTEN: expected host:port, e.g. "127.0.0.1:9733", got ":70000"',
    );
    assertConfigError(
      () => load({ env: { KERNO_DAEMON_NETCONSOLE_LISTEN: 'tcp://0.0.0.0:6666' } }),
      'KERNO_DAEMON_NETCONSOLE_LISTEN: expected udp://host:port, e.g. "udp://0.0.0.0:6666", got "tcp://0.0.0.0:6666"',
    );
    assertConfigError(
      () => load({ env: { KERNO_DAEMON_WEBHOOK_URL: 'ftp://example.com/hook' } }),
      'KERNO_DAEMON_WEBHOOK_URL: expected an http(s) URL, got "ftp://example.com/hook"',
    );
    const nodes = loadFile('daemon:\n  netconsole_nodes:\n    10.0.0.5: web-1\n    web-2: 10.0.0.6\n');
    assertConfigError(
      nodes.result,
      `daemon.netconsole_nodes.web-2: keys must be IP addresses, got "web-2" (in ${nodes.path})`,
    );
    assertConfigError(
      () => load({ env: { KERNO_DAEMON_NETCONSOLE_NODES: 'web-1' } }),
      'KERNO_DAEMON_NETCONSOLE_NODES: expected a mapping of IP address to node name, got "web-1"',
    );
    const ok = load({
      env: {
        KERNO_DAEMON_LISTEN: '[::1]:9100',
        KERNO_DAEMON_NETCONSOLE_LISTEN: 'udp://0.0.0.0:6666',
        KERNO_DAEMON_WEBHOOK_URL: 'https://hooks.example.com/kerno',
      },
    }).config.daemon;
    assert.deepEqual(
      [ok.listen, ok.netconsole_listen, ok.webhook_url],
      ['[::1]:9100', 'udp://0.0.0.0:6666', 'https://hooks.example.com/kerno'],
    );
  });

  test('a section that is not a mapping, and a file that is not a mapping', () => {
    const sec = loadFile('doctor: 5\n');
    assertConfigError(sec.result, `doctor: expected a mapping, got 5 (in ${sec.path})`);
    const top = loadFile('- log_level\n- debug\n');
    assertConfigError(
      top.result,
      `config file ${top.path}: expected a mapping of keys at the top level, got a list`,
    );
  });

  test('invalid YAML names the file and the line', () => {
    const dup = loadFile('log_level: info\ndoctor:\n  duration: 10s\n  duration: 20s\n');
    assertConfigError(dup.result, `config file ${dup.path}: invalid YAML at line 4: map keys must be unique`);
    const tab = loadFile('doctor:\n  duration: 10s\n\toutput: json\n');
    assert.throws(tab.result, (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.match(err.message, new RegExp(`^config file ${tab.path}: invalid YAML at line 3: [^\\n]+$`));
      return true;
    });
  });

  test('an explicitly named file that cannot be read is an error', () => {
    const ctx = isolated();
    const missing = join(dir.root, 'does-not-exist.yaml');
    assertConfigError(
      () => loadConfig({ ...ctx, explicitPath: missing }),
      `config file ${missing}: cannot read: ENOENT (no such file or directory)`,
    );
    assertConfigError(
      () => loadConfig({ ...ctx, env: { KERNO_CONFIG: missing } }),
      `config file ${missing} (from KERNO_CONFIG): cannot read: ENOENT (no such file or directory)`,
    );
    assertConfigError(
      () => loadConfig({ ...ctx, explicitPath: dir.root }),
      `config file ${dir.root}: a directory, not a regular file`,
    );
  });

  test('several problems are all reported, on one line', () => {
    const { path, result } = loadFile('log_level: loud\ndoctor:\n  duration: 10m\n');
    assert.throws(result, (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.deepEqual(err.problems, [
        `log_level: must be one of debug, info, warn, error, got "loud" (in ${path})`,
        `doctor.duration: must be between 1s and 5m, got "10m" (in ${path})`,
      ]);
      assert.equal(err.message, err.problems.join('; '));
      return true;
    });
  });
});

describe('unknown keys warn and are ignored', () => {
  test('in the file', () => {
    const { result } = loadFile(
      [
        'bogus: 1',
        'doctor:',
        '  foo: 2',
        '  thresholds:',
        '    made_up_pct: 3',
        'runtime:',
        '  failure_policy:',
        '    overrides:',
        '      nosuch: isolate',
      ].join('\n'),
    );
    const { config, warnings } = result();
    assert.deepEqual(warnings, [
      'unknown config key "bogus" (ignored)',
      'unknown config key "doctor.foo" (ignored)',
      'unknown config key "doctor.thresholds.made_up_pct" (ignored)',
      'unknown config key "runtime.failure_policy.overrides.nosuch" (ignored)',
    ]);
    assert.deepEqual(config, defaultConfig());
    assert.ok(!('made_up_pct' in config.doctor.thresholds));
  });

  test('in the environment, only under config sections', () => {
    const { warnings } = load({
      env: {
        KERNO_DOCTOR_DURATON: '10s',
        KERNO_DOCTOR_THRESHOLDS_TCP_RETRANSMIT: '5',
        KERNO_NODE_NAME: 'node-1', // used by Kubernetes enrichment, not a config key
        KERNO_CONFIG: '',
        HOME: '/root',
      },
    });
    assert.deepEqual(warnings, [
      'unknown config variable KERNO_DOCTOR_DURATON (ignored)',
      'unknown config variable KERNO_DOCTOR_THRESHOLDS_TCP_RETRANSMIT (ignored)',
    ]);
  });
});

describe('values that mean "unset"', () => {
  test('null and "" leave optional keys unset and others at their defaults', () => {
    const { result } = loadFile(
      ['doctor:', 'runtime:', '  panic_dir: ""', 'daemon:', '  webhook_url: ""', 'log_format: ""'].join('\n'),
    );
    const { config, warnings } = result();
    assert.deepEqual(warnings, []);
    assert.deepEqual(config, defaultConfig());
  });

  test('an empty file is an empty config', () => {
    const { path, result } = loadFile('');
    const { config, source } = result();
    assert.equal(source, path);
    assert.deepEqual(config, defaultConfig());
  });
});

describe('file discovery', () => {
  function tree() {
    const ctx = isolated();
    const put = (where: string, level: string) =>
      dir.write(join(where, 'config.yaml').slice(dir.root.length + 1), `log_level: ${level}\n`);
    return { ctx, put };
  }

  test('no file anywhere: defaults, no source', () => {
    const { config, source, warnings } = load();
    assert.equal(source, null);
    assert.deepEqual(warnings, []);
    assert.deepEqual(config, defaultConfig());
  });

  test('/etc/kerno, then $XDG_CONFIG_HOME/kerno (default ~/.config/kerno); never the current directory', () => {
    const { ctx, put } = tree();
    put(ctx.cwd, 'error');
    assert.equal(loadConfig(ctx).source, null, './config.yaml is not read');
    put(join(ctx.home, '.kerno'), 'error');
    assert.equal(loadConfig(ctx).source, null, '~/.kerno/config.yaml is not read');
    const inHome = put(join(ctx.home, '.config', 'kerno'), 'warn');
    assert.deepEqual([loadConfig(ctx).source, loadConfig(ctx).config.log_level], [inHome, 'warn']);
    const xdg = join(ctx.home, 'xdg');
    const inXdg = put(join(xdg, 'kerno'), 'info');
    const withXdg = { ...ctx, env: { XDG_CONFIG_HOME: xdg } };
    assert.deepEqual([loadConfig(withXdg).source, loadConfig(withXdg).config.log_level], [inXdg, 'info']);
    // The XDG spec: a relative XDG_CONFIG_HOME is invalid and ignored.
    assert.equal(loadConfig({ ...ctx, env: { XDG_CONFIG_HOME: 'xdg' } }).source, inHome);
    const inEtc = put(ctx.etcDir, 'debug');
    assert.deepEqual([loadConfig(ctx).source, loadConfig(ctx).config.log_level], [inEtc, 'debug']);
    assert.equal(loadConfig(withXdg).source, inEtc);
  });

  test('KERNO_CONFIG beats discovery; --config beats KERNO_CONFIG', () => {
    const { ctx, put } = tree();
    put(ctx.etcDir, 'debug');
    const viaEnv = dir.write(`named-${n++}.yaml`, 'log_level: warn\n');
    const viaFlag = dir.write(`named-${n++}.yaml`, 'log_level: error\n');
    const env = { KERNO_CONFIG: viaEnv };
    assert.equal(loadConfig({ ...ctx, env }).source, viaEnv);
    assert.equal(loadConfig({ ...ctx, env }).config.log_level, 'warn');
    const both = loadConfig({ ...ctx, env, explicitPath: viaFlag });
    assert.deepEqual([both.source, both.config.log_level], [viaFlag, 'error']);
  });

  test('a relative --config path is resolved against cwd', () => {
    const { ctx } = tree();
    const abs = dir.write(join(ctx.cwd, 'conf', 'k.yaml').slice(dir.root.length + 1), 'log_level: warn\n');
    const r = loadConfig({ ...ctx, explicitPath: 'conf/k.yaml' });
    assert.deepEqual([r.source, r.config.log_level], [abs, 'warn']);
  });

  test('a path component that is a file, not a directory, means "no config there"', () => {
    const { ctx } = tree();
    dir.write(join(ctx.home, '.config').slice(dir.root.length + 1), 'not a directory\n');
    assert.equal(loadConfig(ctx).source, null);
  });

  test('a discovered file that cannot be read is reported, not skipped', () => {
    const { ctx } = tree();
    const unreadable = join(ctx.home, '.config', 'kerno', 'config.yaml');
    mkdirSync(unreadable, { recursive: true }); // a directory where the file should be
    assertConfigError(() => loadConfig(ctx), `config file ${unreadable}: a directory, not a regular file`);
  });
});

describe('events: the event streams', () => {
  test('defaults, file and env', () => {
    assert.deepEqual(defaultConfig().events, {
      queue_size: 1024,
      drop_policy: 'oldest',
      sample_rate_per_sec: 0,
    });
    const { result } = loadFile('events:\n  queue_size: 1024\n  drop_policy: newest\n');
    assert.deepEqual(result().config.events, {
      queue_size: 1024,
      drop_policy: 'newest',
      sample_rate_per_sec: 0,
    });
    const env = load({ env: { KERNO_EVENTS_SAMPLE_RATE_PER_SEC: '50', KERNO_EVENTS_QUEUE_SIZE: '65536' } });
    assert.equal(env.config.events.sample_rate_per_sec, 50);
    assert.equal(env.config.events.queue_size, 65_536);
  });

  test('bad values give one precise line', () => {
    assertConfigError(
      () => load({ env: { KERNO_EVENTS_QUEUE_SIZE: '0' } }),
      'KERNO_EVENTS_QUEUE_SIZE: must be an integer between 1 and 65536, got 0',
    );
    const big = loadFile('events:\n  queue_size: 100000\n');
    assertConfigError(
      big.result,
      `events.queue_size: must be an integer between 1 and 65536, got 100000 (in ${big.path})`,
    );
    assertConfigError(
      () => load({ env: { KERNO_EVENTS_QUEUE_SIZE: '1.5' } }),
      'KERNO_EVENTS_QUEUE_SIZE: must be an integer between 1 and 65536, got 1.5',
    );
    assertConfigError(
      () => load({ env: { KERNO_EVENTS_DROP_POLICY: 'middle' } }),
      'KERNO_EVENTS_DROP_POLICY: must be one of oldest, newest, got "middle"',
    );
    assertConfigError(
      () => load({ env: { KERNO_EVENTS_SAMPLE_RATE_PER_SEC: '-5' } }),
      'KERNO_EVENTS_SAMPLE_RATE_PER_SEC: must be an integer between 0 and 1000000, got -5',
    );
  });
});

test('kubernetes: enabled is auto, true or false from a file (booleans) and env (words); URL must be https', () => {
  assert.equal(load().config.kubernetes.enabled, 'auto');
  assert.equal(loadFile('kubernetes:\n  enabled: true\n').result().config.kubernetes.enabled, true);
  assert.equal(loadFile('kubernetes:\n  enabled: false\n').result().config.kubernetes.enabled, false);
  assert.equal(load({ env: { KERNO_KUBERNETES_ENABLED: 'false' } }).config.kubernetes.enabled, false);
  assert.equal(load({ env: { KERNO_KUBERNETES_ENABLED: 'auto' } }).config.kubernetes.enabled, 'auto');
  const k = loadFile(
    'kubernetes:\n  kubelet_url: https://10.0.0.5:10250\n  ttl: 10s\n  timeout: 500ms\n',
  ).result().config.kubernetes;
  assert.deepEqual([k.kubelet_url, k.ttl, k.timeout], ['https://10.0.0.5:10250', 10 * S, 0.5 * S]);
  assert.throws(
    () => loadFile('kubernetes:\n  kubelet_url: http://10.0.0.5:10255\n').result(),
    /kubernetes\.kubelet_url.*https/,
  );
  assert.throws(() => loadFile('kubernetes:\n  enabled: maybe\n').result(), /auto, true, false/);
});
