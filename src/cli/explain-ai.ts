// `kerno explain <message…>` / `… | kerno explain`: one AI call about an error message or log lines
// (reference §1.8). Loaded only on that path, so `explain --rule` never touches AI code.
import { hostname } from 'node:os';
import { ask, AiError, resolveAi } from '../ai/client.js';
import { explainPrompt } from '../ai/prompt.js';
import type { Config } from '../config/index.js';
import type { ReportAi } from '../doctor/types.js';
import { renderAiSection } from '../render/plain/ai.js';
import { ExitError } from './context.js';
import { EXIT, UsageError, type CliIO } from './io.js';

/** Lines of piped input sent at most (reference: "at most 100 lines"). */
export const MAX_STDIN_LINES = 100;
/** Bytes read from stdin at most: a runaway `cat big.log |` must not fill memory before it is cut. */
const MAX_STDIN_BYTES = 1 << 20;

export async function runExplainAi(
  text: string[],
  config: Config,
  opts: { json: boolean; color: boolean; width?: number },
  io: CliIO,
): Promise<number> {
  const stdin = text.length === 0 ? io.pipedStdin?.() : undefined;
  if (text.length === 0 && stdin === undefined)
    throw new UsageError(
      'nothing to explain: give the message (kerno explain "OOM killer invoked"), pipe it on stdin (dmesg | tail -20 | kerno explain), or use --rule <id>',
    );
  // Configuration first: with AI off, a piped stdin is never read (nothing to wait for, nothing to send).
  const ai = notConfiguredToExit(() => resolveAi(config.ai, io.env));
  let message = text.join(' ');
  if (stdin !== undefined) {
    const { lines, total } = await readLines(stdin);
    if (lines.length === 0) throw new UsageError('nothing to explain: stdin was empty');
    // The last lines: in a log the failure is usually at the end, after what led to it.
    if (total > lines.length)
      io.err(`kerno: note: stdin had ${total} lines; explaining the last ${lines.length}\n`);
    message = lines.join('\n');
  }
  if (message.trim() === '') throw new UsageError('nothing to explain: the message is empty');
  const prompt = explainPrompt(message, ai.privacy, hostname());
  const section: ReportAi = {
    provider: ai.settings.provider,
    model: ai.settings.model,
    privacy: ai.privacy,
    cached: false,
  };
  try {
    const result = await ask(ai, prompt, io.signal);
    section.cached = result.cached;
    section.answer = result.answer;
  } catch (err) {
    if (err instanceof AiError) throw new ExitError(err.message, EXIT.FAILURE);
    throw err;
  }
  if (opts.json) io.out(JSON.stringify(section, null, 2) + '\n');
  else
    io.out(
      renderAiSection(section, {
        color: opts.color,
        width: opts.width,
        title: 'AI EXPLANATION',
        note: 'AI-generated; check commands before running them.',
      }),
    );
  return EXIT.OK;
}

export function notConfiguredToExit<T>(f: () => T): T {
  try {
    return f();
  } catch (err) {
    if (err instanceof AiError) throw new ExitError(err.message, EXIT.FAILURE);
    throw err;
  }
}

/** The last MAX_STDIN_LINES lines of stdin (trailing blank lines dropped), and how many there were. */
async function readLines(stdin: AsyncIterable<Buffer | string>): Promise<{ lines: string[]; total: number }> {
  const chunks: Buffer[] = [];
  let size = 0;
  let droppedLines = 0;
  for await (const chunk of stdin) {
    const b = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    chunks.push(b);
    size += b.length;
    // Keep only the tail once past the cap: the last lines are what is sent.
    while (size > MAX_STDIN_BYTES && chunks.length > 1) {
      const dropped = chunks.shift()!;
      size -= dropped.length;
      for (const byte of dropped) if (byte === 10) droppedLines++;
    }
  }
  const all = Buffer.concat(chunks).toString('utf8').replace(/\s+$/, '').split('\n');
  const lines = all.length === 1 && all[0] === '' ? [] : all;
  return { lines: lines.slice(-MAX_STDIN_LINES), total: lines.length + droppedLines };
}
