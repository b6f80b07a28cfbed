// `kerno explain --rule [id]`: what a doctor rule watches, when it fires (with the thresholds in effect:
// the user's config shows its own numbers), why it matters, how to fix it, and which chaos scenario induces
// it (reference §1.8). `kerno explain <message…>` (or piped stdin) asks the configured AI provider
// (explain-ai.ts, loaded only then); with AI off that is "AI is not configured", exit 1.
import { Command, Option } from 'commander';
import { explainRule, ruleCatalogue, suggestRules, type RuleCatalogueEntry } from '../../rules/catalogue.js';
import { scenariosForRule } from '../chaos/index.js';
import { envName } from '../config/index.js';
import { wrap } from '../render/plain/layout.js';
import { makePalette } from '../render/plain/palette.js';
import { formatDuration } from '../util/duration.js';
import { AI_PRIVACY_MODES, AI_PROVIDERS, type ConfigFlags } from '../config/index.js';
import { commandContext, ExitError } from './context.js';
import { EXIT, UsageError, type CliIO } from './io.js';
import type { CommandModule } from './main.js';
import { outputWidth, renderTable } from './table.js';

interface ExplainFlags {
  rule?: string | true;
  output: 'text' | 'json';
  provider?: string;
  model?: string;
  endpoint?: string;
  privacy?: string;
}

export const explainCommand: CommandModule = {
  register(program: Command, io: CliIO, setExit: (code: number) => void) {
    program
      .command('explain')
      .description(
        'document a doctor rule (--rule), or explain an error message with the configured AI provider (opt-in)',
      )
      .argument(
        '[message...]',
        'error message or log lines to explain with AI (or pipe up to 100 lines on stdin)',
      )
      .option('--rule [id]', 'the rule to explain; without an id, list every rule (no AI involved)')
      .addOption(new Option('--provider <name>', 'AI provider (default: ai.provider)').choices(AI_PROVIDERS))
      .option('--model <name>', 'AI model (default: ai.model)')
      .option('--endpoint <url>', "AI provider base URL (default: ai.endpoint, else the provider's own)")
      .addOption(
        new Option('--privacy <mode>', 'what leaves the host (default: ai.privacy)').choices(
          AI_PRIVACY_MODES,
        ),
      )
      .addOption(
        new Option('-o, --output <format>', 'output format').choices(['text', 'json']).default('text'),
      )
      .addHelpText(
        'after',
        `
Examples:
  kerno explain --rule                      every rule: signal, severity, trigger
  kerno explain --rule fd_leak              one rule in full
  kerno explain --rule disk                 unknown id: suggests disk_io_bottleneck, disk_io_write_high
  kerno explain "Out of memory: Killed process 4123 (java)"     ask the AI provider (ai.enabled: true)
  dmesg | tail -40 | kerno explain --privacy redacted           the last 100 lines of stdin at most

AI is off by default and nothing is sent anywhere until ai.enabled is true (config file or
KERNO_AI_ENABLED). Privacy: summary/redacted mask IPs, hostnames, pod names and paths before sending;
full sends the text as is. See docs/ai.md.

Exit status: 0 ok, 1 unknown rule, AI is not configured or the AI request failed, 2 bad usage,
3 bad configuration.`,
      )
      .action(async (text: string[], opts: ExplainFlags, cmd: Command) => {
        setExit(await runExplain(text, opts, cmd, io));
      });
  },
};

function aiFlags(opts: ExplainFlags): { flags: ConfigFlags; names: Record<string, string> } {
  const ai: Record<string, string> = {};
  if (opts.provider !== undefined) ai.provider = opts.provider;
  if (opts.model !== undefined) ai.model = opts.model;
  if (opts.endpoint !== undefined) ai.endpoint = opts.endpoint;
  if (opts.privacy !== undefined) ai.privacy = opts.privacy;
  return {
    flags: Object.keys(ai).length ? ({ ai } as ConfigFlags) : {},
    names: {
      'ai.provider': '--provider',
      'ai.model': '--model',
      'ai.endpoint': '--endpoint',
      'ai.privacy': '--privacy',
    },
  };
}

async function runExplain(text: string[], opts: ExplainFlags, cmd: Command, io: CliIO): Promise<number> {
  if (opts.rule === undefined) {
    const { flags, names } = aiFlags(opts);
    const { config, color } = commandContext(cmd, io, flags, names);
    const { runExplainAi } = await import('./explain-ai.js');
    return runExplainAi(
      text,
      config,
      { json: opts.output === 'json', color, width: outputWidth(io.stdoutIsTTY) },
      io,
    );
  }
  if (text.length > 0) {
    throw new UsageError(`unexpected argument "${text.join(' ')}": --rule takes one rule id`);
  }
  const { config, color } = commandContext(cmd, io);
  const thresholds = config.doctor.thresholds;
  const json = opts.output === 'json';
  if (opts.rule === true) {
    const all = ruleCatalogue(thresholds);
    if (json) io.out(JSON.stringify(all.map(withScenarios), null, 2) + '\n');
    else
      io.out(
        renderTable(
          ['RULE', 'SIGNAL', 'SEVERITY', 'TRIGGER'],
          all.map((r) => [r.id, r.signal, r.severity, r.trigger]),
          { color, width: outputWidth(io.stdoutIsTTY) },
        ),
      );
    return EXIT.OK;
  }
  const id = opts.rule;
  const entry = explainRule(id, thresholds);
  if (entry === undefined) throw new ExitError(unknownRuleMessage(id), EXIT.FAILURE);
  if (json) io.out(JSON.stringify(withScenarios(entry), null, 2) + '\n');
  else io.out(renderRule(entry, { color, width: Math.min(outputWidth(io.stdoutIsTTY) ?? 100, 120) }));
  return EXIT.OK;
}

export function unknownRuleMessage(id: string): string {
  const suggestions = id.trim() === '' ? [] : suggestRules(id);
  const hint = suggestions.length > 0 ? `; did you mean ${suggestions.join(', ')}?` : '';
  return `unknown rule "${id}"${hint} (kerno explain --rule lists all rules)`;
}

/** The JSON shape of `kerno explain --json`: pairsWith is the scenario built for the rule (null if none). */
function withScenarios(
  entry: RuleCatalogueEntry,
): RuleCatalogueEntry & { pairsWith: string | null; chaosScenarios: string[] } {
  const chaosScenarios = scenariosForRule(entry.id);
  return { ...entry, pairsWith: chaosScenarios[0] ?? null, chaosScenarios };
}

/** A threshold value in its unit: *_ns as a duration, *_bytes* in MiB, anything else as is. */
export function formatThreshold(key: string, value: number): string {
  if (key.endsWith('_ns')) return formatDuration(value);
  if (/_bytes/.test(key)) {
    const mib = value / (1024 * 1024);
    const unit = key.endsWith('_per_sec') ? 'MiB/s' : 'MiB';
    return `${Number.isInteger(mib) ? mib : mib.toFixed(2)} ${unit}`;
  }
  return String(value);
}

const LABEL = 12;

export function renderRule(entry: RuleCatalogueEntry, opts: { color: boolean; width: number }): string {
  const p = makePalette(opts.color);
  const body = Math.max(20, opts.width - LABEL);
  const pad = ' '.repeat(LABEL);
  const out: string[] = [];
  const field = (label: string, lines: string[]): void => {
    lines.forEach((l, i) => out.push((i === 0 ? p.bold(label.padEnd(LABEL)) : pad) + l));
  };
  const para = (text: string, indent = ''): string[] =>
    wrap(text, body - indent.length).map((l, i) => (i === 0 ? l : ' '.repeat(indent.length) + l));

  field('RULE', [entry.id]);
  field('SIGNAL', [entry.signal]);
  field('SEVERITY', [entry.severity || '-']);
  field('TRIGGER', para(entry.trigger));
  const keys = Object.entries(entry.thresholds);
  if (keys.length > 0) {
    const width = Math.max(...keys.map(([k]) => k.length));
    field('THRESHOLDS', [
      ...keys.map(([k, v]) => `${k.padEnd(width)}  ${formatThreshold(k, v)}`),
      p.dim(`(doctor.thresholds.<key> in the config file, or ${envName(['doctor', 'thresholds', '<KEY>'])})`),
    ]);
  }
  field('WHY', entry.why ? para(entry.why) : [entry.description]);
  // Fix steps are commands to copy: printed verbatim, never re-wrapped (that would collapse their spacing).
  if (entry.fix.length > 0)
    field(
      'FIX',
      entry.fix.map((f, i) => `${i + 1}. ${f}`),
    );
  const scenarios = scenariosForRule(entry.id);
  field(
    'PAIRS WITH',
    scenarios.length > 0
      ? scenarios.map((s) => `chaos scenario ${s}   (sudo kerno chaos --induce ${s} --yes)`)
      : ['no chaos scenario yet'],
  );
  return out.join('\n') + '\n';
}
