// The three wire formats, over plain HTTP (no SDK: reference invariant 5). Each provider is two pure
// functions: the request for a prompt, and the answer's text out of the response body.
import type { AiProvider } from '../config/index.js';
import type { Prompt } from './prompt.js';

export interface HttpRequest {
  url: string;
  headers: Record<string, string>;
  /** The JSON body, serialised once: what is sent is exactly what is hashed for the cache. */
  body: string;
}

export interface ProviderSettings {
  provider: AiProvider;
  endpoint: string;
  model: string;
  maxTokens: number;
  apiKey?: string;
}

export const DEFAULT_ENDPOINTS: Record<AiProvider, string> = {
  anthropic: 'https://api.anthropic.com',
  openai: 'https://api.openai.com',
  ollama: 'http://127.0.0.1:11434',
};

/** The Messages API version this request format follows. */
export const ANTHROPIC_VERSION = '2023-06-01';

function join(endpoint: string, path: string): string {
  return endpoint.replace(/\/+$/, '') + path;
}

export function buildRequest(s: ProviderSettings, prompt: Prompt): HttpRequest {
  const json = { 'content-type': 'application/json' };
  switch (s.provider) {
    case 'anthropic':
      return {
        url: join(s.endpoint, '/v1/messages'),
        headers: {
          ...json,
          'anthropic-version': ANTHROPIC_VERSION,
          ...(s.apiKey ? { 'x-api-key': s.apiKey } : {}),
        },
        body: JSON.stringify({
          model: s.model,
          max_tokens: s.maxTokens,
          system: prompt.system,
          messages: [{ role: 'user', content: prompt.user }],
        }),
      };
    case 'openai':
      // Any OpenAI-compatible server (vLLM, LiteLLM, llama.cpp): the endpoint is its base URL.
      return {
        url: join(s.endpoint, '/v1/chat/completions'),
        headers: { ...json, ...(s.apiKey ? { authorization: `Bearer ${s.apiKey}` } : {}) },
        body: JSON.stringify({
          model: s.model,
          max_tokens: s.maxTokens,
          messages: [
            { role: 'system', content: prompt.system },
            { role: 'user', content: prompt.user },
          ],
        }),
      };
    case 'ollama':
      return {
        url: join(s.endpoint, '/api/chat'),
        headers: { ...json, ...(s.apiKey ? { authorization: `Bearer ${s.apiKey}` } : {}) },
        body: JSON.stringify({
          model: s.model,
          stream: false,
          options: { num_predict: s.maxTokens },
          messages: [
            { role: 'system', content: prompt.system },
            { role: 'user', content: prompt.user },
          ],
        }),
      };
  }
}

/** The model's text from a 2xx response body; throws with a one-line reason when the shape is not the provider's. */
export function extractText(provider: AiProvider, body: unknown): string {
  const b = body as Record<string, unknown> | null;
  let text: unknown;
  if (provider === 'anthropic') {
    const content = b?.content;
    if (Array.isArray(content))
      text = content
        .filter((c: { type?: unknown }) => c?.type === 'text')
        .map((c: { text?: unknown }) => c.text)
        .join('');
  } else if (provider === 'openai') {
    const choices = b?.choices;
    if (Array.isArray(choices)) text = (choices[0] as { message?: { content?: unknown } })?.message?.content;
  } else {
    text = (b?.message as { content?: unknown } | undefined)?.content;
  }
  if (typeof text !== 'string' || text.trim() === '')
    throw new Error(`unexpected response shape (no answer text in the ${provider} format)`);
  return text;
}

/** A provider's error body as one short line ({"error":{"message":…}} or {"error":"…"}), or "". */
export function errorDetail(body: string): string {
  let detail = body;
  try {
    const parsed = JSON.parse(body) as { error?: unknown; message?: unknown };
    const e = parsed.error;
    if (typeof e === 'string') detail = e;
    else if (e && typeof (e as { message?: unknown }).message === 'string')
      detail = (e as { message: string }).message;
    else if (typeof parsed.message === 'string') detail = parsed.message;
  } catch {
    // not JSON: the text itself
  }
  const line = detail.replace(/\s+/g, ' ').trim();
  return line.length > 200 ? `${line.slice(0, 199)}…` : line;
}
