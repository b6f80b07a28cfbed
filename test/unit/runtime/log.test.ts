import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLogger } from '../../../src/runtime/log.js';

const at = new Date('2025-03-01T12:00:00.000Z');

function capture(options: Parameters<typeof createLogger>[0] = {}) {
  const lines: string[] = [];
  const logger = createLogger({ now: () => at, write: (l) => lines.push(l), ...options });
  return { logger, lines };
}

test('json: one object per line with time, level, msg first, then fields', () => {
  const { logger, lines } = capture();
  logger.info('collector attached', { collector: 'tcp', programs: 3 });
  assert.deepEqual(lines, [
    '{"time":"2025-03-01T12:00:00.000Z","level":"info","msg":"collector attached","collector":"tcp","programs":3}\n',
  ]);
});

test('levels below the threshold are dropped', () => {
  const { logger, lines } = capture({ level: 'warn' });
  logger.debug('d');
  logger.info('i');
  logger.warn('w');
  logger.error('e');
  logger.log('info', 'i2');
  assert.deepEqual(
    lines.map((l) => (JSON.parse(l) as { level: string }).level),
    ['warn', 'error'],
  );
});

test('errors keep message, code and stack; multi-line values stay on one line', () => {
  const { logger, lines } = capture();
  const err = Object.assign(new Error('attach tcp_retransmit_skb: denied\nsecond line'), { code: 'EPERM' });
  logger.error('collector fault', { error: err, stack: err.stack });
  assert.equal(lines.length, 1);
  assert.equal(lines[0]!.indexOf('\n'), lines[0]!.length - 1, 'the only newline ends the line');
  const rec = JSON.parse(lines[0]!) as {
    error: { message: string; code: string; stack: string };
    stack: string;
  };
  assert.equal(rec.error.message, 'attach tcp_retransmit_skb: denied\nsecond line');
  assert.equal(rec.error.code, 'EPERM');
  assert.match(rec.stack, /\n\s+at /);
});

test('fields never overwrite the envelope; bigints and cycles are safe', () => {
  const { logger, lines } = capture();
  const cyclic: Record<string, unknown> = { a: 1 };
  cyclic.self = cyclic;
  logger.warn('real message', { msg: 'impostor', level: 'debug', n: 12n, cyclic });
  const rec = JSON.parse(lines[0]!) as Record<string, unknown>;
  assert.equal(rec.msg, 'real message');
  assert.equal(rec.level, 'warn');
  assert.equal(rec.msg_, 'impostor');
  assert.equal(rec.level_, 'debug');
  assert.equal(rec.n, '12');
  assert.deepEqual(rec.cyclic, { a: 1, self: '[Circular]' });
});

test('child loggers add their fields to every line', () => {
  const { logger, lines } = capture();
  const child = logger.child({ collector: 'oom' });
  child.info('hello', { extra: true });
  child.child({ pid: 7 }).warn('nested');
  assert.deepEqual(JSON.parse(lines[0]!), {
    time: at.toISOString(),
    level: 'info',
    msg: 'hello',
    collector: 'oom',
    extra: true,
  });
  assert.equal((JSON.parse(lines[1]!) as { pid: number; collector: string }).pid, 7);
});

test('text format is one readable line for humans', () => {
  const { logger, lines } = capture({ format: 'text' });
  logger.warn('collector failed to start', { collector: 'tcp', hint: 'not running as root', n: 2 });
  logger.info('multi\nline');
  assert.equal(
    lines[0],
    '2025-03-01T12:00:00.000Z WARN  collector failed to start collector=tcp hint="not running as root" n=2\n',
  );
  assert.equal(lines[1], '2025-03-01T12:00:00.000Z INFO  multi\\nline\n');
});

test('bad level or format is rejected', () => {
  assert.throws(() => createLogger({ level: 'verbose' as never }), /invalid log level: verbose/);
  assert.throws(() => createLogger({ format: 'xml' as never }), /invalid log format: xml/);
});
