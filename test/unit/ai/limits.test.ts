// The rate limit (counted across processes through its file) and the cache (keyed by what is sent).
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { AnswerCache, cacheKey } from '../../../src/ai/cache.js';
import { buildRequest } from '../../../src/ai/providers.js';
import { RateLimited, RateLimiter } from '../../../src/ai/rate-limit.js';
import { tempDir } from '../cli/helpers.js';

const dir = tempDir('ai-limits');
after(() => dir.remove());

test('rate limit: N per rolling minute, shared by every limiter on the same directory', () => {
  let now = 1_000_000;
  const clock = (): number => now;
  const d = join(dir.path, 'rl');
  new RateLimiter(d, 2, clock).take();
  now += 10_000;
  new RateLimiter(d, 2, clock).take();
  now += 5_000;
  // A new process (a new limiter) sees the two earlier requests.
  assert.throws(
    () => new RateLimiter(d, 2, clock).take(),
    (err: unknown) =>
      err instanceof RateLimited &&
      err.retryAfterMs === 45_000 &&
      err.message === 'AI rate limit reached: 2 requests per minute (ai.rate_limit_per_minute); retry in 45s',
  );
  now += 45_000; // the first one is a minute old
  new RateLimiter(d, 2, clock).take();
  assert.equal(statSync(join(d, 'ratelimit.json')).mode & 0o777, 0o600);
});

test('rate limit 0 means no limit', () => {
  const l = new RateLimiter(join(dir.path, 'none'), 0);
  for (let i = 0; i < 100; i++) l.take();
});

const settings = { provider: 'openai' as const, endpoint: 'http://x', model: 'm', maxTokens: 100 };

test('cache key: changes with the body, the model and the URL, never with the API key', () => {
  const p = { system: 's', user: 'u' };
  const k = cacheKey('openai', 'm', buildRequest({ ...settings, apiKey: 'one' }, p));
  assert.equal(k, cacheKey('openai', 'm', buildRequest({ ...settings, apiKey: 'two' }, p)));
  assert.match(k, /^[0-9a-f]{64}$/);
  assert.notEqual(k, cacheKey('openai', 'm', buildRequest(settings, { system: 's', user: 'u2' })));
  assert.notEqual(k, cacheKey('openai', 'm2', buildRequest({ ...settings, model: 'm2' }, p)));
  assert.notEqual(k, cacheKey('openai', 'm', buildRequest({ ...settings, endpoint: 'http://y' }, p)));
});

test('cache: an answer is reused within the TTL, not after; TTL 0 stores nothing', () => {
  let now = 0;
  const d = join(dir.path, 'cache');
  const answer = { summary: 's', fix: [], causes: [] };
  new AnswerCache(d, 300_000, () => now).set('k', answer);
  now = 299_999;
  assert.deepEqual(new AnswerCache(d, 300_000, () => now).get('k'), answer);
  assert.equal(statSync(join(d, 'k.json')).mode & 0o777, 0o600);
  now = 300_000;
  assert.equal(new AnswerCache(d, 300_000, () => now).get('k'), undefined);
  const off = new AnswerCache(join(dir.path, 'off'), 0);
  off.set('k', answer);
  assert.equal(off.get('k'), undefined);
});
