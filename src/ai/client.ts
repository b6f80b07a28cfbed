// One AI request end to end: settings from the config (or "AI is not configured"), the cache, the rate
// limit, the HTTP call with its timeout, and the answer parsed. Nothing here runs unless a command asked
// for AI and ai.enabled is true: doctor without --ai and explain --rule never import this module.
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { AiConfig } from '../config/index.js';
import type { AiAnswer } from '../doctor/types.js';
import { formatDuration } from '../util/duration.js';
import { parseAnswer, type AnswerFormat } from './answer.js';
import { AnswerCache, cacheKey } from './cache.js';
import type { Prompt } from './prompt.js';
import {
  buildRequest,
  DEFAULT_ENDPOINTS,
  errorDetail,
  extractText,
  type ProviderSettings,
} from './providers.js';
import { RateLimited, RateLimiter } from './rate-limit.js';

/** Every AI failure: one line, never the API key. */
export class AiError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AiError';
  }
}

export const NOT_CONFIGURED = 'AI is not configured';

export class AiNotConfigured extends AiError {}

export interface ResolvedAi {
  settings: ProviderSettings;
  privacy: AiConfig['privacy'];
  timeoutMs: number;
  cache: AnswerCache;
  limiter: RateLimiter;
}

/** The AI settings in effect, or AiNotConfigured (the opt-in is ai.enabled; a key alone enables nothing). */
export function resolveAi(ai: AiConfig, env: NodeJS.ProcessEnv, now: () => number = Date.now): ResolvedAi {
  if (!ai.enabled)
    throw new AiNotConfigured(
      `${NOT_CONFIGURED}: set ai.enabled: true, ai.provider and ai.model in the config file (or KERNO_AI_ENABLED, KERNO_AI_PROVIDER, KERNO_AI_MODEL); nothing is sent anywhere until then`,
    );
  const apiKey = env[ai.api_key_env]?.trim() || undefined;
  if (ai.provider !== 'ollama' && apiKey === undefined)
    throw new AiNotConfigured(
      `${NOT_CONFIGURED}: ai.provider ${ai.provider} needs an API key in $${ai.api_key_env} (ai.api_key_env), which is unset`,
    );
  const dir = ai.cache_dir ?? join(env.XDG_CACHE_HOME?.trim() || join(homedir(), '.cache'), 'kerno', 'ai');
  return {
    settings: {
      provider: ai.provider,
      endpoint: ai.endpoint ?? DEFAULT_ENDPOINTS[ai.provider],
      model: ai.model,
      maxTokens: ai.max_tokens,
      apiKey,
    },
    privacy: ai.privacy,
    timeoutMs: ai.timeout / 1e6,
    cache: new AnswerCache(dir, ai.cache_ttl / 1e6, now),
    limiter: new RateLimiter(dir, ai.rate_limit_per_minute, now),
  };
}

export interface AskResult {
  answer: AiAnswer;
  cached: boolean;
  format: AnswerFormat | 'cache';
}

/** Asks once (or answers from the cache). Throws AiError with a one-line reason. */
export async function ask(ai: ResolvedAi, prompt: Prompt, signal?: AbortSignal): Promise<AskResult> {
  const { settings } = ai;
  const req = buildRequest(settings, prompt);
  const key = cacheKey(settings.provider, settings.model, req);
  const hit = ai.cache.get(key);
  if (hit) return { answer: hit, cached: true, format: 'cache' };
  try {
    ai.limiter.take();
  } catch (err) {
    if (err instanceof RateLimited) throw new AiError(err.message);
    throw err;
  }
  const where = `${settings.provider} ${safeUrl(req.url)}`;
  const timeout = AbortSignal.timeout(ai.timeoutMs);
  let res: Response;
  let text: string;
  try {
    res = await fetch(req.url, {
      method: 'POST',
      headers: req.headers,
      body: req.body,
      signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      redirect: 'error',
    });
    text = await res.text();
  } catch (err) {
    if (timeout.aborted)
      throw new AiError(`${where}: no answer within ${formatDuration(ai.timeoutMs * 1e6)} (ai.timeout)`);
    if (signal?.aborted) throw new AiError(`${where}: interrupted`);
    throw new AiError(`${where}: ${networkReason(err)}`);
  }
  if (!res.ok) {
    const detail = errorDetail(text);
    throw new AiError(
      `${where}: HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''}${detail ? `: ${detail}` : ''}`,
    );
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new AiError(`${where}: the response is not JSON`);
  }
  let answerText: string;
  try {
    answerText = extractText(settings.provider, body);
  } catch (err) {
    throw new AiError(`${where}: ${(err as Error).message}`);
  }
  const { answer, format } = parseAnswer(answerText);
  ai.cache.set(key, answer);
  return { answer, cached: false, format };
}

/** The URL without credentials or query (a key passed as ?key= must not reach a log line). */
function safeUrl(url: string): string {
  const u = new URL(url);
  return `${u.protocol}//${u.host}${u.pathname}`;
}

function networkReason(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (err as Error).message ?? String(err);
}
