// `kerno explain` against a local fake of each provider (no network here, and never a real provider): the
// exact request (method, path, auth headers, body with redaction applied), the three answer shapes, and
// every failure as one line with exit 1: timeout, HTTP error, rate limit; a cache hit sends nothing.
import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { run } from '../../../src/cli/main.js';
import { commands } from '../../../src/cli/commands.js';
import type { CliIO } from '../../../src/cli/io.js';
import { ANTHROPIC_VERSION } from '../../../src/ai/providers.js';
import { EXPLAIN_SYSTEM } from '../../../src/ai/prompt.js';
import { providerBody, startFakeProvider, type FakeProvider } from '../../helpers/fake-ai.js';
import { tempDir } from '../cli/helpers.js';

const dir = tempDir('ai-providers');
const emptyConfig = dir.file('config.yaml', '');
let fake: FakeProvider;
let cacheN = 0;
before(async () => (fake = await startFakeProvider()));
after(async () => {
  await fake.close();
  dir.remove();
});
beforeEach(() => fake.requests.splice(0));

function aiEnv(provider: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    KERNO_CONFIG: emptyConfig,
    NO_COLOR: '1',
    KERNO_AI_ENABLED: 'true',
    KERNO_AI_PROVIDER: provider,
    KERNO_AI_ENDPOINT: fake.url,
    KERNO_AI_MODEL: 'test-model',
    KERNO_AI_API_KEY: 'sk-test-123',
    KERNO_AI_PRIVACY: 'redacted',
    // A fresh cache and rate-limit state per run unless a test shares one on purpose.
    KERNO_AI_CACHE_DIR: join(dir.path, `cache-${++cacheN}`),
    ...extra,
  };
}

async function explain(
  args: string[],
  env: NodeJS.ProcessEnv,
  stdin?: string,
): Promise<{ code: number; stdout: string; stderr: string; stdinRead: boolean }> {
  let stdout = '';
  let stderr = '';
  let stdinRead = false;
  const io: CliIO = {
    out: (s) => void (stdout += s),
    err: (s) => void (stderr += s),
    stdoutIsTTY: false,
    env,
    pipedStdin:
      stdin === undefined
        ? undefined
        : () =>
            (async function* () {
              stdinRead = true;
              yield Buffer.from(stdin);
            })(),
  };
  const argv = ['explain', ...args];
  const code = await run(argv, io, await commands(argv));
  return { code, stdout, stderr, stdinRead };
}

/** A port that was free a moment ago and has nothing listening now. */
async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const { port } = srv.address() as { port: number };
  await new Promise((resolve) => srv.close(resolve));
  return port;
}

const ANSWER = {
  summary: 'The OOM killer ended java on this-host.',
  why: 'Its cgroup reached memory.max.',
  impact: 'The service restarted.',
  fix: ['dmesg -T | grep -i oom'],
  causes: [{ description: 'heap above the limit', confidence: 0.9, fix: ['lower -Xmx'] }],
};

// The message holds one of each identifier class and the host's own name.
const MESSAGE = `Out of memory: Killed process 4123 (java) on ${hostname()} peer 10.0.3.17 pod shop/cart-0 file /var/lib/app/heap.bin`;
const REDACTED =
  'Out of memory: Killed process 4123 (java) on this-host peer ip-1 pod namespace-1/pod-1 file path-1';

describe('the exact request per provider', () => {
  test('anthropic: POST /v1/messages, x-api-key, anthropic-version, system apart from messages', async () => {
    fake.queue({ body: providerBody('anthropic', JSON.stringify(ANSWER)) });
    const r = await explain(['-o', 'json', MESSAGE], aiEnv('anthropic'));
    assert.equal(r.code, 0, r.stderr);
    assert.equal(fake.requests.length, 1);
    const req = fake.requests[0]!;
    assert.equal(req.method, 'POST');
    assert.equal(req.path, '/v1/messages');
    assert.equal(req.headers['x-api-key'], 'sk-test-123');
    assert.equal(req.headers['anthropic-version'], ANTHROPIC_VERSION);
    assert.equal(req.headers['content-type'], 'application/json');
    assert.equal(req.headers.authorization, undefined);
    assert.deepEqual(JSON.parse(req.body), {
      model: 'test-model',
      max_tokens: 1024,
      system: EXPLAIN_SYSTEM,
      messages: [{ role: 'user', content: REDACTED }],
    });
    assert.deepEqual(JSON.parse(r.stdout), {
      provider: 'anthropic',
      model: 'test-model',
      privacy: 'redacted',
      cached: false,
      answer: ANSWER,
    });
  });

  test('openai-compatible: POST /v1/chat/completions, Bearer key, system + user messages', async () => {
    fake.queue({ body: providerBody('openai', JSON.stringify(ANSWER)) });
    const r = await explain(['-o', 'json', MESSAGE], aiEnv('openai'));
    assert.equal(r.code, 0, r.stderr);
    const req = fake.requests[0]!;
    assert.equal(req.method, 'POST');
    assert.equal(req.path, '/v1/chat/completions');
    assert.equal(req.headers.authorization, 'Bearer sk-test-123');
    assert.equal(req.headers['x-api-key'], undefined);
    assert.deepEqual(JSON.parse(req.body), {
      model: 'test-model',
      max_tokens: 1024,
      messages: [
        { role: 'system', content: EXPLAIN_SYSTEM },
        { role: 'user', content: REDACTED },
      ],
    });
    assert.deepEqual((JSON.parse(r.stdout) as { answer: unknown }).answer, ANSWER);
  });

  test('ollama: POST /api/chat, stream false, no key needed', async () => {
    fake.queue({ body: providerBody('ollama', JSON.stringify(ANSWER)) });
    const env = aiEnv('ollama');
    delete env.KERNO_AI_API_KEY;
    const r = await explain(['-o', 'json', MESSAGE], env);
    assert.equal(r.code, 0, r.stderr);
    const req = fake.requests[0]!;
    assert.equal(req.method, 'POST');
    assert.equal(req.path, '/api/chat');
    assert.equal(req.headers.authorization, undefined);
    assert.deepEqual(JSON.parse(req.body), {
      model: 'test-model',
      stream: false,
      options: { num_predict: 1024 },
      messages: [
        { role: 'system', content: EXPLAIN_SYSTEM },
        { role: 'user', content: REDACTED },
      ],
    });
  });

  test('privacy full sends the message unchanged; the key comes from the variable ai.api_key_env names', async () => {
    fake.queue({ body: providerBody('openai', 'ok') });
    const env = aiEnv('openai', {
      KERNO_AI_PRIVACY: 'full',
      KERNO_AI_API_KEY_ENV: 'MY_LLM_KEY',
      MY_LLM_KEY: 'k2',
    });
    delete env.KERNO_AI_API_KEY;
    const r = await explain([MESSAGE], env);
    assert.equal(r.code, 0, r.stderr);
    const req = fake.requests[0]!;
    assert.equal(req.headers.authorization, 'Bearer k2');
    assert.equal((JSON.parse(req.body) as { messages: { content: string }[] }).messages[1]!.content, MESSAGE);
  });

  test('flags override the config: --provider, --model, --endpoint, --privacy', async () => {
    fake.queue({ body: providerBody('ollama', 'ok') });
    const env = aiEnv('anthropic', { KERNO_AI_ENDPOINT: `http://127.0.0.1:${await closedPort()}` });
    const r = await explain(
      ['--provider', 'ollama', '--model', 'llama3.1', '--endpoint', fake.url, '--privacy', 'full', MESSAGE],
      env,
    );
    assert.equal(r.code, 0, r.stderr);
    const body = JSON.parse(fake.requests[0]!.body) as { model: string; messages: { content: string }[] };
    assert.equal(fake.requests[0]!.path, '/api/chat');
    assert.equal(body.model, 'llama3.1');
    assert.equal(body.messages[1]!.content, MESSAGE);
  });
});

describe('answer shapes', () => {
  test('JSON in a code fence: parsed; text render shows every section', async () => {
    fake.queue({
      body: providerBody('anthropic', 'Sure:\n```json\n' + JSON.stringify(ANSWER, null, 2) + '\n```'),
    });
    const r = await explain([MESSAGE], aiEnv('anthropic'));
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^ {2}AI EXPLANATION {2}anthropic test-model · privacy redacted$/m);
    assert.match(r.stdout, /^ {2}Summary {3}The OOM killer ended java on this-host\.$/m);
    assert.match(r.stdout, /^ {2}Why {7}Its cgroup reached memory\.max\.$/m);
    assert.match(r.stdout, /^ {2}Impact {4}The service restarted\.$/m);
    assert.match(r.stdout, /^ {2}Causes {4}1\. heap above the limit \(90%\)$/m);
    assert.match(r.stdout, /^ {15}→ lower -Xmx$/m);
    assert.match(r.stdout, /^ {2}Fix {7}→ dmesg -T \| grep -i oom$/m);
  });

  test('plain text: the whole answer is the summary', async () => {
    fake.queue({ body: providerBody('openai', 'The process was killed because memory ran out.') });
    const r = await explain(['-o', 'json', MESSAGE], aiEnv('openai'));
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual((JSON.parse(r.stdout) as { answer: unknown }).answer, {
      summary: 'The process was killed because memory ran out.',
      fix: [],
      causes: [],
    });
  });
});

describe('failures: one line, exit 1', () => {
  test('timeout', async () => {
    fake.queue({ body: providerBody('openai', 'late'), delayMs: 3_000 });
    const t0 = Date.now();
    const r = await explain([MESSAGE], aiEnv('openai', { KERNO_AI_TIMEOUT: '300ms' }));
    const elapsed = Date.now() - t0;
    assert.equal(r.code, 1);
    assert.equal(
      r.stderr,
      `kerno: openai ${fake.url}/v1/chat/completions: no answer within 300ms (ai.timeout)\n`,
    );
    assert.ok(elapsed < 2_500, `gave up after ${elapsed} ms`);
  });

  test('non-2xx: the status and the provider message, never the key', async () => {
    fake.queue({
      status: 401,
      body: { type: 'error', error: { type: 'authentication_error', message: 'invalid x-api-key' } },
    });
    const r = await explain([MESSAGE], aiEnv('anthropic'));
    assert.equal(r.code, 1);
    assert.equal(
      r.stderr,
      `kerno: anthropic ${fake.url}/v1/messages: HTTP 401 Unauthorized: invalid x-api-key\n`,
    );
    assert.ok(!r.stderr.includes('sk-test-123'));
  });

  test('a 2xx body that is not the provider format', async () => {
    fake.queue({ body: { unexpected: true } });
    const r = await explain([MESSAGE], aiEnv('ollama'));
    assert.equal(r.code, 1);
    assert.equal(
      r.stderr,
      `kerno: ollama ${fake.url}/api/chat: unexpected response shape (no answer text in the ollama format)\n`,
    );
  });

  test('nothing listening: the connection error', async () => {
    const port = await closedPort();
    const r = await explain([MESSAGE], aiEnv('openai', { KERNO_AI_ENDPOINT: `http://127.0.0.1:${port}` }));
    assert.equal(r.code, 1);
    assert.equal(r.stderr, `kerno: openai http://127.0.0.1:${port}/v1/chat/completions: ECONNREFUSED\n`);
  });

  test('rate limited: the second distinct request within the minute is refused before any connection', async () => {
    const env = aiEnv('openai', { KERNO_AI_RATE_LIMIT_PER_MINUTE: '1' });
    fake.queue({ body: providerBody('openai', 'first') });
    assert.equal((await explain(['first message'], env)).code, 0);
    const connections = fake.connections();
    const r = await explain(['second message'], env);
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      /^kerno: AI rate limit reached: 1 request per minute \(ai\.rate_limit_per_minute\); retry in (59|60)s\n$/,
    );
    assert.equal(fake.requests.length, 1);
    assert.equal(fake.connections(), connections);
  });
});

test('cache hit: the same request again is answered locally, no second request', async () => {
  const env = aiEnv('anthropic');
  fake.queue({ body: providerBody('anthropic', JSON.stringify(ANSWER)) });
  const first = await explain(['-o', 'json', MESSAGE], env);
  assert.equal(first.code, 0, first.stderr);
  const second = await explain(['-o', 'json', MESSAGE], env);
  assert.equal(second.code, 0, second.stderr);
  assert.equal(fake.requests.length, 1);
  assert.deepEqual(JSON.parse(second.stdout), { ...(JSON.parse(first.stdout) as object), cached: true });
  // A different message is a different key.
  fake.queue({ body: providerBody('anthropic', 'other') });
  assert.equal((await explain([MESSAGE + ' again'], env)).code, 0);
  assert.equal(fake.requests.length, 2);
});

describe('stdin', () => {
  test('piped lines are the message; over 100, the last 100 are sent with a note', async () => {
    fake.queue({ body: providerBody('openai', 'ok') });
    const lines = Array.from({ length: 150 }, (_, i) => `line ${i + 1}`);
    const r = await explain([], aiEnv('openai'), lines.join('\n') + '\n');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, 'kerno: note: stdin had 150 lines; explaining the last 100\n');
    const sent = (JSON.parse(fake.requests[0]!.body) as { messages: { content: string }[] }).messages[1]!
      .content;
    assert.equal(sent, lines.slice(50).join('\n'));
  });

  test('100 lines or fewer: all of them, no note', async () => {
    fake.queue({ body: providerBody('openai', 'ok') });
    const r = await explain([], aiEnv('openai'), 'a\nb\n');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
    assert.equal(
      (JSON.parse(fake.requests[0]!.body) as { messages: { content: string }[] }).messages[1]!.content,
      'a\nb',
    );
  });

  test('empty stdin: usage error, nothing sent', async () => {
    const r = await explain([], aiEnv('openai'), '\n\n');
    assert.equal(r.code, 2);
    assert.equal(r.stderr, 'kerno: nothing to explain: stdin was empty\n');
    assert.equal(fake.requests.length, 0);
  });
});

describe('off by default: nothing leaves the host', () => {
  test('AI disabled (endpoint and key set): "AI is not configured", exit 1, stdin unread, no connection', async () => {
    const before = fake.connections();
    const env = aiEnv('openai');
    delete env.KERNO_AI_ENABLED;
    const r = await explain([], env, 'Out of memory\n');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^kerno: AI is not configured: set ai\.enabled: true/);
    assert.equal(r.stderr.split('\n').length, 2, 'one line');
    assert.equal(r.stdinRead, false);
    const r2 = await explain(['OOM killer invoked'], env);
    assert.equal(r2.code, 1);
    assert.match(r2.stderr, /AI is not configured/);
    assert.equal(fake.connections(), before);
  });

  test('enabled without the key a hosted provider needs: not configured, names the variable', async () => {
    const env = aiEnv('anthropic');
    delete env.KERNO_AI_API_KEY;
    const r = await explain([MESSAGE], env);
    assert.equal(r.code, 1);
    assert.equal(
      r.stderr,
      'kerno: AI is not configured: ai.provider anthropic needs an API key in $KERNO_AI_API_KEY (ai.api_key_env), which is unset\n',
    );
  });

  test('enabled without a model: a config error naming the key (exit 3)', async () => {
    const r = await explain([MESSAGE], aiEnv('openai', { KERNO_AI_MODEL: '' }));
    assert.equal(r.code, 3);
    assert.match(r.stderr, /^kerno: .*ai\.model: required when ai\.enabled is true/);
  });

  test('no message and no piped stdin: usage error', async () => {
    const r = await explain([], aiEnv('openai'));
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^kerno: nothing to explain: give the message/);
  });
});
