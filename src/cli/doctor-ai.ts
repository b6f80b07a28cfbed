// `kerno doctor --ai`: the AI summary of a finished report. Loaded only with --ai: a doctor run without it
// never imports the AI code, let alone opens a connection.
import { hostname } from 'node:os';
import { ask, AiError, resolveAi, type ResolvedAi } from '../ai/client.js';
import { doctorPrompt } from '../ai/prompt.js';
import type { Config } from '../config/index.js';
import type { Report, ReportAi } from '../doctor/types.js';
import { notConfiguredToExit } from './explain-ai.js';

export interface DoctorAi {
  provider: string;
  model: string;
  /** The AI section for this report: the answer, or the one-line reason there is none. */
  summarise(report: Report): Promise<ReportAi>;
}

/** Checked before the window opens: "AI is not configured" must not cost a 30 s collection first. */
export function prepareDoctorAi(config: Config, env: NodeJS.ProcessEnv): DoctorAi {
  const ai: ResolvedAi = notConfiguredToExit(() => resolveAi(config.ai, env));
  const self = hostname();
  return {
    provider: ai.settings.provider,
    model: ai.settings.model,
    async summarise(report) {
      const section: ReportAi = {
        provider: ai.settings.provider,
        model: ai.settings.model,
        privacy: ai.privacy,
        cached: false,
      };
      try {
        // No abort signal: a Ctrl+C that ended the window early still wants the summary of what was
        // collected; ai.timeout bounds the wait and a second Ctrl+C exits.
        const r = await ask(ai, doctorPrompt(report, ai.privacy, self));
        section.cached = r.cached;
        section.answer = r.answer;
      } catch (err) {
        if (!(err instanceof AiError)) throw err;
        section.error = err.message;
      }
      return section;
    },
  };
}
