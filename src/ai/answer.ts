// The model's answer: the JSON object the prompt asks for, the same inside a ```json fence (models add
// one often), or anything else as plain text, which becomes the summary as it is.
import type { AiAnswer, AiCause } from '../doctor/types.js';

export type AnswerFormat = 'json' | 'fenced-json' | 'text';

export function parseAnswer(text: string): { answer: AiAnswer; format: AnswerFormat } {
  const trimmed = text.trim();
  const direct = fromJson(trimmed);
  if (direct) return { answer: direct, format: 'json' };
  const fence = /```(?:json|JSON)?[ \t]*\n([\s\S]*?)\n?```/.exec(trimmed);
  const fenced = fence ? fromJson(fence[1]!.trim()) : null;
  if (fenced) return { answer: fenced, format: 'fenced-json' };
  return { answer: { summary: trimmed, fix: [], causes: [] }, format: 'text' };
}

/** The answer when `text` is a JSON object with a string summary; fields of the wrong type are dropped. */
function fromJson(text: string): AiAnswer | null {
  if (!text.startsWith('{')) return null;
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return null;
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return null;
  const o = v as Record<string, unknown>;
  if (typeof o.summary !== 'string') return null;
  const answer: AiAnswer = { summary: o.summary.trim(), fix: strings(o.fix), causes: causes(o.causes) };
  if (typeof o.why === 'string' && o.why.trim()) answer.why = o.why.trim();
  if (typeof o.impact === 'string' && o.impact.trim()) answer.impact = o.impact.trim();
  return answer;
}

function strings(v: unknown): string[] {
  if (typeof v === 'string') return v.trim() ? [v.trim()] : [];
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string' && x.trim() !== '') : [];
}

function causes(v: unknown): AiCause[] {
  if (!Array.isArray(v)) return [];
  const out: AiCause[] = [];
  for (const c of v) {
    if (typeof c === 'string') out.push({ description: c, fix: [] });
    if (
      c === null ||
      typeof c !== 'object' ||
      typeof (c as { description?: unknown }).description !== 'string'
    )
      continue;
    const r = c as { description: string; confidence?: unknown; fix?: unknown };
    const cause: AiCause = { description: r.description, fix: strings(r.fix) };
    const conf = Number(r.confidence);
    // Models write 0.8 or 80 for the same thing.
    if (r.confidence !== undefined && Number.isFinite(conf) && conf >= 0)
      cause.confidence = conf > 1 ? Math.min(conf, 100) / 100 : conf;
    out.push(cause);
  }
  return out;
}
