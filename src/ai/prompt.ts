// The two prompts (explain a message; summarise a doctor report) and what each privacy mode lets into them.
// Pure: the report and the mode in, the exact text sent out.
import type { AiPrivacy } from '../config/index.js';
import type { Report } from '../doctor/types.js';
import { Masker } from './privacy.js';

/** What a provider is asked: one system prompt, one user message. */
export interface Prompt {
  system: string;
  user: string;
}

// The answer shape is the contract with parseAnswer (answer.ts); a model that ignores it still gives
// a usable plain-text answer.
const ANSWER_SHAPE = `Answer with one JSON object and nothing else:
{"summary": "what happened, 1-3 sentences",
 "why": "why it happened",
 "impact": "what it does to the system and its users",
 "fix": ["shell command or concrete step", "..."],
 "causes": [{"description": "a likely root cause", "confidence": 0.0-1.0, "fix": ["..."]}]}`;

const PLACEHOLDERS = `Identifiers may be replaced by placeholders (ip-1, host-1, pod-1, namespace-1, path-1, uid-1,
this-host); refer to them by those names.`;

export const EXPLAIN_SYSTEM = `You are a Linux kernel and systems expert helping an on-call engineer.
Explain the error message or log lines you are given: what happened, why, the impact, and the commands
that fix or investigate it. Be concrete and brief. ${PLACEHOLDERS}
${ANSWER_SHAPE}`;

export const DOCTOR_SYSTEM = `You are a Linux kernel and systems expert helping an on-call engineer.
You are given the findings of kerno doctor, an eBPF diagnosis of one host over a short window. Summarise
the state of the host, correlate findings that share a cause, rank the likely root causes with your
confidence, and give the commands that fix them. Do not invent findings. ${PLACEHOLDERS}
${ANSWER_SHAPE}`;

/**
 * `kerno explain`: the user's own text. `summary` cannot shorten free text without losing it, so it is
 * treated as `redacted`; only `full` sends the text unchanged.
 */
export function explainPrompt(message: string, privacy: AiPrivacy, ownHostname: string): Prompt {
  const user = privacy === 'full' ? message : new Masker(ownHostname).redact(message);
  return { system: EXPLAIN_SYSTEM, user };
}

/** `kerno doctor --ai`: the findings, as much of them as the privacy mode allows. */
export function doctorPrompt(report: Report, privacy: AiPrivacy, ownHostname: string): Prompt {
  return { system: DOCTOR_SYSTEM, user: JSON.stringify(reportFacts(report, privacy, ownHostname), null, 1) };
}

/**
 * summary: rule ids, severities, metrics and values, nothing a person wrote about this host.
 * redacted: the findings' text too, masked. full: as the report says it, with the host's name.
 * Raw signals are never sent (too large, and the findings already say what matters in them).
 */
export function reportFacts(report: Report, privacy: AiPrivacy, ownHostname: string): object {
  const window = { seconds: Math.round(report.durationNs / 1e9), partial: report.partial };
  const degraded = report.coverage
    .filter((c) => c.state !== 'ok')
    .map((c) => ({ collector: c.name, state: c.state }));
  if (privacy === 'summary') {
    return {
      window,
      findings: report.findings.map((f) => ({
        rule: f.rule,
        severity: f.severity,
        metric: f.metric,
        unit: f.unit,
        value: f.value,
        threshold: f.threshold,
      })),
      degradedCollectors: degraded,
    };
  }
  const masker = new Masker(ownHostname);
  const t = privacy === 'full' ? (s: string) => s : (s: string) => masker.redact(s);
  return {
    host: {
      ...(privacy === 'full' ? { hostname: report.host.hostname } : {}),
      kernelRelease: report.host.kernelRelease,
      arch: report.host.arch,
    },
    window,
    findings: report.findings.map((f) => ({
      rule: f.rule,
      severity: f.severity,
      title: t(f.title),
      subject: t(f.subject),
      ...(f.process !== undefined ? { process: t(f.process) } : {}),
      metric: f.metric,
      unit: f.unit,
      value: f.value,
      threshold: f.threshold,
      cause: t(f.cause),
      impact: t(f.impact),
      evidence: f.evidence.map(t),
      ...(f.onset !== undefined ? { onset: f.onset } : {}),
    })),
    degradedCollectors: degraded,
  };
}
