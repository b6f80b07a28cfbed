// `kerno panics`, in-process, over a real panics.jsonl written the way the receiver writes it.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { incidentId, PANICS_FILE, type PanicIncident } from '../../../src/netconsole/index.js';
import { listOptions } from '../../../src/cli/panics-cmd.js';
import { runKerno, tempDir } from './helpers.js';

const dir = tempDir('cli-panics');
const empty = tempDir('cli-panics-empty');
const HOUR = 3_600_000;
const now = Date.now();

function incident(node: string, kind: PanicIncident['kind'], reason: string, agoMs: number): PanicIncident {
  const time = new Date(now - agoMs).toISOString();
  return {
    id: incidentId(node, kind, reason, time),
    time,
    node,
    sender: '10.0.0.5:6665',
    kind,
    reason,
    triggers: [reason],
    context: ['CPU: 1 PID: 42 Comm: kworker/1:0', 'Call Trace:'],
    truncated: false,
    endedBy: 'idle',
  };
}

// Oldest first, as appended.
const records = [
  incident('node-a', 'hung_task', 'INFO: task jbd2/sda1-8:312 blocked for more than 120 seconds.', 48 * HOUR),
  incident('node-b', 'oops', 'BUG: kernel NULL pointer dereference, address: 0000000000000008', 2 * HOUR),
  incident('node-a', 'panic', 'Kernel panic - not syncing: Fatal exception', HOUR / 2),
];

before(() => {
  dir.file(PANICS_FILE, records.map((r) => JSON.stringify({ v: 1, ...r })).join('\n') + '\n');
});
after(() => {
  dir.remove();
  empty.remove();
});

const rowsOf = (stdout: string): string[] => stdout.trimEnd().split('\n').slice(1);

test('table: TIME, NODE, KIND, REASON, newest first', async () => {
  const r = await runKerno(['panics', '--state-dir', dir.path]);
  assert.equal(r.code, 0, r.stderr);
  const [head, ...rows] = r.stdout.trimEnd().split('\n');
  assert.match(head!, /^TIME\s+NODE\s+KIND\s+REASON$/);
  assert.equal(rows.length, 3);
  assert.match(rows[0]!, /node-a\s+panic\s+Kernel panic - not syncing: Fatal exception$/);
  assert.match(rows[1]!, /node-b\s+oops\s+BUG: kernel NULL pointer dereference/);
  assert.match(rows[2]!, /node-a\s+hung_task\s+INFO: task jbd2/);
  assert.ok(rows[0]!.startsWith(records[2]!.time.replace(/\.\d+Z$/, 'Z')), 'RFC 3339 time, seconds');
});

test('filters: --node, --kind, --since, --limit', async () => {
  const node = await runKerno(['panics', '--state-dir', dir.path, '--node', 'node-a']);
  assert.deepEqual(
    rowsOf(node.stdout).map((l) => l.split(/\s+/)[2]),
    ['panic', 'hung_task'],
  );
  const kind = await runKerno(['panics', '--state-dir', dir.path, '--kind', 'oops']);
  assert.deepEqual(
    rowsOf(kind.stdout).map((l) => l.split(/\s+/)[1]),
    ['node-b'],
  );
  const since = await runKerno(['panics', '--state-dir', dir.path, '--since', '24h']);
  assert.equal(rowsOf(since.stdout).length, 2, 'the 48 h old hung task is left out');
  const limit = await runKerno(['panics', '--state-dir', dir.path, '--limit', '1']);
  assert.equal(rowsOf(limit.stdout).length, 1);
  assert.match(limit.stderr, /showing the newest 1/);
});

test('-o json: count and full records', async () => {
  const r = await runKerno(['panics', '--state-dir', dir.path, '-o', 'json', '--kind', 'panic']);
  assert.equal(r.code, 0, r.stderr);
  const body = JSON.parse(r.stdout) as { count: number; incidents: PanicIncident[] };
  assert.equal(body.count, 1);
  assert.deepEqual(body.incidents[0], records[2]);
});

test('an existing state dir without incidents, and a missing one, both exit 0', async () => {
  const none = await runKerno(['panics', '--state-dir', empty.path]);
  assert.equal(none.code, 0);
  assert.equal(none.stdout, `no incidents recorded in ${join(empty.path, PANICS_FILE)}\n`);
  const missing = join(empty.path, 'nope');
  const gone = await runKerno(['panics', '--state-dir', missing]);
  assert.equal(gone.code, 0);
  assert.equal(gone.stdout, `no incidents recorded (state dir ${missing} does not exist)\n`);
});

test('the state dir comes from the config when --state-dir is not given', async () => {
  const config = empty.file('config.yaml', `daemon:\n  state_dir: ${dir.path}\n`);
  const r = await runKerno(['panics'], { env: { KERNO_CONFIG: config, NO_COLOR: '1' } });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(rowsOf(r.stdout).length, 3);
});

test('listOptions: --since accepts a duration or an RFC 3339 time; bad values are usage errors', () => {
  assert.equal(listOptions({ limit: '5', since: '1h' }, 10 * HOUR).sinceMs, 9 * HOUR);
  assert.equal(
    listOptions({ limit: '5', since: '2025-06-01T10:00:00Z' }).sinceMs,
    Date.parse('2025-06-01T10:00:00Z'),
  );
  assert.throws(() => listOptions({ limit: '5', since: '2025-13-45' }), /--since: not a valid RFC 3339 time/);
  assert.throws(() => listOptions({ limit: 'ten' }), /--limit: expected an integer/);
  assert.throws(() => listOptions({ limit: '0' }), { name: 'UsageError' });
});

test('corrupt lines are skipped with one warning line naming how many (issue 15 item 2)', async () => {
  const bad = tempDir('cli-panics-corrupt');
  try {
    bad.file(
      PANICS_FILE,
      [
        JSON.stringify({ v: 1, ...records[0] }),
        'garbage',
        '{"v":1,"id":"x"}',
        JSON.stringify({ v: 1, ...records[1] }),
      ].join('\n') + '\n',
    );
    const r = await runKerno(['panics', '--state-dir', bad.path]);
    assert.equal(r.code, 0);
    assert.equal(rowsOf(r.stdout).length, 2);
    assert.equal(r.stderr, `kerno: warning: 2 corrupt lines in ${join(bad.path, PANICS_FILE)} skipped\n`);
  } finally {
    bad.remove();
  }
});
