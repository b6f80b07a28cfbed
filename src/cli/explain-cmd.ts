// `kerno explain --rule [id]`: what a doctor rule watches, when it fires (with the thresholds in effect:
// the user's config shows its own numbers), why it matters, how to fix it, and which chaos scenario induces
// it (reference §1.8). Free-text explanations need an AI model, which kerno deliberately does not ship.
import { Command, Option } from 'commander';
import { explainRule, ruleCatalogue, suggestRules, type RuleCatalogueEntry } from '../../rules/catalogue.js';
import { scenariosForRule } from '../chaos/index.js';
import { envName } from '../config/index.js';
import { wrap } from '../render/plain/layout.js';
import { makePalette } from '../render/plain/palette.js';
import { formatDuration } from '../util/duration.js';
import { commandContext, ExitError } from './context.js';
import { EXIT, UsageError, type CliIO } from './io.js';
import type { CommandModule } from './main.js';
import { outputWidth, renderTable } from './table.js';

interface ExplainFlags {
  rule?: string | true;
  output: 'text' | 'json';
}

export const explainCommand: CommandModule = {
  register(program: Command, io: CliIO, setExit: (code: number) => void) {
    program
      .command('explain')
      .description(
        'document a doctor rule: trigger (with your thresholds), why it matters, fix, paired chaos scenario',
      )
      .argument('[text...]', 'not supported: kerno has no AI explanations')
      .option('--rule [id]', 'the rule to explain; without an id, list every rule')
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

Exit status: 0 ok, 1 unknown rule, 2 bad usage, 3 bad configuration.`,
      )
      .action((text: string[], opts: ExplainFlags, cmd: Command) => {
        setExit(runExplain(text, opts, cmd, io));
      });
  },
};

function runExplain(text: string[], opts: ExplainFlags, cmd: Command, io: CliIO): number {
  if (opts.rule === undefined) {
    if (text.length > 0) throw new UsageError('AI explanations are not part of kerno; use --rule <id>');
    throw new UsageError(
      'nothing to explain: use --rule <id> for one rule, or --rule alone to list them all',
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
