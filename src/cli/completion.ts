// Shell completion scripts and the man page, generated from the commander tree the CLI itself parses with:
// a new command or option appears in them without anyone editing a script.
import type { Command, Option } from 'commander';

/** One command of the tree: `kerno`, `kerno doctor`, `kerno netconsole setup`. */
export interface CommandNode {
  path: string[];
  description: string;
  /** `[text...]` etc., as commander shows them in usage. */
  args: string[];
  subcommands: { name: string; description: string }[];
  /** This command's own options (the root's are the global ones, valid at every level). */
  options: OptionSpec[];
}

export interface OptionSpec {
  /** `-o`, `--output`: every spelling. */
  names: string[];
  description: string;
  /** `<format>`, or undefined for a switch. */
  value?: string;
  choices?: string[];
  defaultValue?: string;
}

const HELP: OptionSpec = { names: ['-h', '--help'], description: 'display help for command' };

function optionSpec(o: Option): OptionSpec {
  const names = [o.short, o.long].filter((n): n is string => typeof n === 'string');
  const value = o.required || o.optional ? /[<[][^>\]]*[>\]]/.exec(o.flags)?.[0] : undefined;
  const spec: OptionSpec = { names, description: o.description };
  if (value !== undefined) spec.value = value;
  if (o.argChoices) spec.choices = [...o.argChoices];
  // A negated switch's default (true) says nothing useful.
  if (o.defaultValue !== undefined && !o.negate && typeof o.defaultValue !== 'boolean')
    spec.defaultValue = String(o.defaultValue);
  return spec;
}

/** Every command of the tree, parents before children, with the version flag where commander has one. */
export function commandNodes(root: Command, path: string[] = [root.name()]): CommandNode[] {
  const options = root.options.filter((o) => !o.hidden).map(optionSpec);
  options.push(HELP);
  const node: CommandNode = {
    path,
    description: root.description(),
    args: root.registeredArguments.map((a) => {
      const n = `${a.name()}${a.variadic ? '...' : ''}`;
      return a.required ? `<${n}>` : `[${n}]`;
    }),
    subcommands: root.commands.map((c) => ({ name: c.name(), description: c.description() })),
    options,
  };
  return [node, ...root.commands.flatMap((c) => commandNodes(c, [...path, c.name()]))];
}

// ---------------------------------------------------------------------------------------------------------
// Shell scripts. All three share one model: walk the words typed so far, descending into a subcommand when a
// word names one (skipping the value of an option that takes one); then complete an option's value (its
// choices, or file names), an option, or a subcommand.

const q = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;
const fnName = (prog: string): string => `_${prog.replace(/[^A-Za-z0-9]/g, '_')}`;

interface Tree {
  prog: string;
  nodes: CommandNode[];
  /** Options valid at every level (the root's). */
  global: OptionSpec[];
}

function tree(nodes: CommandNode[]): Tree {
  return { prog: nodes[0]!.path[0]!, nodes, global: nodes[0]!.options };
}

const key = (n: CommandNode): string => n.path.join(' ');
/** A node's options plus the global ones (commander accepts those anywhere on the line). */
const optionsAt = (t: Tree, n: CommandNode): OptionSpec[] =>
  n.path.length === 1 ? n.options : [...n.options, ...t.global.filter((g) => g.names[0] !== '-h')];
/** Whether an option's value is a path (`<file>`, `<dir>`, `<path...>`): only those complete file names. */
const takesPath = (o: OptionSpec): boolean => /file|dir|path/.test(o.value ?? '');
/** The value-taking options to complete at a node: the global ones are matched at every node instead. */
const valueOptions = (t: Tree, n: CommandNode): { o: OptionSpec; at: string }[] =>
  n.path.length === 1
    ? n.options.filter((o) => o.value).map((o) => ({ o, at: '*' }))
    : n.options.filter((o) => o.value).map((o) => ({ o, at: key(n) }));
const valueFlags = (t: Tree): string[] => [
  ...new Set(t.nodes.flatMap((n) => n.options.filter((o) => o.value).flatMap((o) => o.names))),
];

/**
 * The part bash and zsh share: walk the words before the cursor to the (sub)command being completed
 * (skipping option values), then open `case "$cmd:$prev"` with one branch per value-taking option, a
 * command's own options before the global ones so its option of the same name wins. `(pattern)` case
 * labels are valid in both shells. `loop` is the shell's own loop header over its word array.
 */
function walkToCommand(t: Tree, loop: string, word: string, reply: (o: OptionSpec) => string): string[] {
  const out = [
    loop,
    `    w=${word}`,
    '    if ((skip)); then skip=0; continue; fi',
    '    case "$w" in',
    ...(valueFlags(t).length ? [`      (${valueFlags(t).join('|')}) skip=1; continue ;;`] : []),
    '      (-*) continue ;;',
    '    esac',
    '    case "$cmd $w" in',
    ...t.nodes.slice(1).map((n) => `      (${q(key(n))}) cmd=${q(key(n))} ;;`),
    '    esac',
    '  done',
    '  case "$cmd:$prev" in',
  ];
  for (const n of [...t.nodes.slice(1), t.nodes[0]!])
    for (const { o, at } of valueOptions(t, n)) {
      const pats = o.names.map((name) => (at === '*' ? `*:${name}` : q(`${at}:${name}`))).join('|');
      out.push(`    (${pats}) ${reply(o)}; return ;;`);
    }
  return out;
}

export function bashCompletion(trees: CommandNode[][]): string {
  const out = [
    '# bash completion for kerno: generated by `kerno completion bash` from its command definitions.',
    '# Install: kerno completion bash > /etc/bash_completion.d/kerno   (or source it from ~/.bashrc)',
  ];
  for (const nodes of trees) {
    const t = tree(nodes);
    const f = fnName(t.prog);
    out.push(
      '',
      `${f}() {`,
      '  local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}',
      `  local cmd=${q(t.prog)} i w skip=0`,
      ...walkToCommand(t, '  for ((i = 1; i < COMP_CWORD; i++)); do', '${COMP_WORDS[i]}', (o) =>
        o.choices
          ? `COMPREPLY=($(compgen -W ${q(o.choices.join(' '))} -- "$cur"))`
          : takesPath(o)
            ? 'compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -f -- "$cur"))'
            : 'COMPREPLY=()',
      ),
    );
    out.push('  esac', '  if [[ $cur == -* ]]; then', '    case "$cmd" in');
    for (const n of t.nodes) {
      const words = optionsAt(t, n).flatMap((o) => o.names);
      out.push(`      ${q(key(n))}) COMPREPLY=($(compgen -W ${q(words.join(' '))} -- "$cur")) ;;`);
    }
    out.push('    esac', '  else', '    case "$cmd" in');
    for (const n of t.nodes.filter((x) => x.subcommands.length > 0)) {
      const words = n.subcommands.map((s) => s.name);
      out.push(`      ${q(key(n))}) COMPREPLY=($(compgen -W ${q(words.join(' '))} -- "$cur")) ;;`);
    }
    out.push('    esac', '  fi', '}', `complete -F ${f} ${t.prog}`);
  }
  return out.join('\n') + '\n';
}

export function zshCompletion(trees: CommandNode[][]): string {
  const progs = trees.map((n) => n[0]!.path[0]!);
  const out = [
    `#compdef ${progs.join(' ')}`,
    '# zsh completion for kerno: generated by `kerno completion zsh` from its command definitions.',
    '# Install: kerno completion zsh > "${fpath[1]}/_kerno"   (or source it after compinit)',
  ];
  // _describe splits "name:description" at the first unescaped colon.
  const entry = (name: string, desc: string): string => q(`${name.replace(/:/g, '\\:')}:${desc}`);
  for (const nodes of trees) {
    const t = tree(nodes);
    const f = fnName(t.prog);
    out.push(
      '',
      `${f}() {`,
      // Not `path`: in zsh that is the array tied to PATH.
      `  local cmd=${q(t.prog)} w cur=\${words[CURRENT]} prev=\${words[CURRENT-1]}`,
      '  local -i i skip=0',
      ...walkToCommand(t, '  for ((i = 2; i < CURRENT; i++)); do', '${words[i]}', (o) =>
        o.choices
          ? `compadd -- ${o.choices.map(q).join(' ')}`
          : takesPath(o)
            ? '_files'
            : `_message ${q(o.description)}`,
      ),
    );
    out.push('  esac', '  local -a items', '  if [[ $cur == -* ]]; then', '    case "$cmd" in');
    for (const n of t.nodes) {
      const items = optionsAt(t, n).flatMap((o) => o.names.map((name) => entry(name, o.description)));
      out.push(`      (${q(key(n))}) items=(${items.join(' ')}) ;;`);
    }
    out.push('    esac', "    _describe -t options 'option' items", '  else', '    case "$cmd" in');
    for (const n of t.nodes.filter((x) => x.subcommands.length > 0)) {
      const items = n.subcommands.map((s) => entry(s.name, s.description));
      out.push(`      (${q(key(n))}) items=(${items.join(' ')}) ;;`);
    }
    out.push('    esac', "    (( ${#items} )) && _describe -t commands 'command' items", '  fi', '}');
  }
  // Autoloaded from fpath, the file is the body of the first function: run it. Sourced: register them all.
  out.push(
    '',
    `if [[ \${funcstack[1]} == ${fnName(progs[0]!)} ]]; then`,
    `  ${fnName(progs[0]!)} "$@"`,
    'else',
    ...trees.map((n) => `  compdef ${fnName(n[0]!.path[0]!)} ${n[0]!.path[0]!}`),
    'fi',
  );
  return out.join('\n') + '\n';
}

export function fishCompletion(trees: CommandNode[][]): string {
  const out = [
    '# fish completion for kerno: generated by `kerno completion fish` from its command definitions.',
    '# Install: kerno completion fish > ~/.config/fish/completions/kerno.fish',
  ];
  const fq = (s: string): string => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  for (const nodes of trees) {
    const t = tree(nodes);
    const prog = t.prog;
    out.push('', `complete -c ${prog} -f`);
    // The condition "exactly this command path was typed": fish's own helpers see subcommand words only.
    const at = (n: CommandNode): string => {
      const words = n.path.slice(1);
      if (words.length === 0 && t.nodes.length === 1) return '';
      const seen = words.map((w) => `__fish_seen_subcommand_from ${w}`);
      const deeper = t.nodes
        .filter((c) => c.path.length === n.path.length + 1 && key(c).startsWith(key(n) + ' '))
        .map((c) => `not __fish_seen_subcommand_from ${c.path.at(-1)}`);
      const top =
        words.length === 0
          ? [
              `not __fish_seen_subcommand_from ${t.nodes
                .filter((c) => c.path.length === 2)
                .map((c) => c.path[1])
                .join(' ')}`,
            ]
          : [];
      const cond = [...top, ...seen, ...deeper].join('; and ');
      return cond ? ` -n ${fq(cond)}` : '';
    };
    const optLine = (o: OptionSpec, cond: string): string => {
      const parts = [`complete -c ${prog}${cond}`];
      for (const n of o.names) parts.push(n.startsWith('--') ? `-l ${n.slice(2)}` : `-s ${n.slice(1)}`);
      if (o.choices) parts.push(`-x -a ${fq(o.choices.join(' '))}`);
      else if (o.value) parts.push(takesPath(o) ? '-r -F' : '-x');
      parts.push(`-d ${fq(o.description)}`);
      return parts.join(' ');
    };
    for (const o of t.global) out.push(optLine(o, ''));
    for (const n of t.nodes) {
      for (const s of n.subcommands)
        out.push(`complete -c ${prog}${at(n)} -a ${s.name} -d ${fq(s.description)}`);
      if (n.path.length > 1)
        for (const o of n.options.filter((x) => x.names[0] !== '-h')) out.push(optLine(o, at(n)));
    }
  }
  return out.join('\n') + '\n';
}

// ---------------------------------------------------------------------------------------------------------
// The man page (roff, man(7) macros).

/** Text for a roff line: backslashes and hyphens escaped, a leading control character neutralised. */
export function roff(text: string): string {
  const s = text
    .replace(/\\/g, '\\e')
    .replace(/-/g, '\\-')
    // troff input is ASCII: "…", "→" become named Unicode escapes.
    .replace(
      /[\u0080-\u{10FFFF}]/gu,
      (c) => `\\[u${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}]`,
    );
  return /^[.']/.test(s) ? `\\&${s}` : s;
}

export interface ManPage {
  version: string;
  /** The kerno tree and the separate programs (bpf-verify). */
  trees: CommandNode[][];
  /** [code, meaning] */
  exitCodes: readonly (readonly [number, string])[];
}

export function manPage(m: ManPage): string {
  const [kerno, ...others] = m.trees;
  const root = kerno![0]!;
  const opt = (o: OptionSpec): string[] => {
    const names = o.names.map((n) => `\\fB${roff(n)}\\fR`).join(', ');
    const extra = [
      ...(o.choices ? [`one of: ${o.choices.join(', ')}`] : []),
      ...(o.defaultValue !== undefined ? [`default: ${o.defaultValue}`] : []),
    ];
    return [
      '.TP',
      `${names}${o.value ? ` \\fI${roff(o.value.slice(1, -1))}\\fR` : ''}`,
      roff(`${o.description}${extra.length ? ` (${extra.join('; ')})` : ''}`),
    ];
  };
  const section = (n: CommandNode, heading: string): string[] => [
    heading,
    roff(n.description),
    ...(n.args.length ? ['.PP', `Arguments: ${roff(n.args.join(' '))}`] : []),
    ...n.options.filter((o) => o.names[0] !== '-h').flatMap(opt),
  ];
  const lines = [
    `.\\" Generated by \`kerno man\` from the command definitions; do not edit.`,
    `.TH KERNO 1 "" "kerno ${roff(m.version)}" "User Commands"`,
    '.SH NAME',
    `kerno \\- ${roff(root.description.replace(/^eBPF kernel diagnosis for Linux: /, 'eBPF kernel diagnosis for Linux; '))}`,
    '.SH SYNOPSIS',
    `.B kerno`,
    `[\\fIglobal options\\fR] \\fIcommand\\fR [\\fIoptions\\fR]`,
    ...others.flatMap((t) => ['.br', `.B ${roff(t[0]!.path[0]!)}`, '[\\fIoptions\\fR]']),
    '.SH DESCRIPTION',
    roff(root.description),
    'Run as root, or with CAP_BPF and CAP_PERFMON.',
    'Every command that prints data takes',
    '\\fB\\-o\\fR/\\fB\\-\\-output\\fR; \\fB\\-o json\\fR is machine\\-readable.',
    '.SH GLOBAL OPTIONS',
    'Accepted before or after the command.',
    ...root.options.flatMap(opt),
    '.SH COMMANDS',
    ...kerno!
      .slice(1)
      .flatMap((n) =>
        section(
          n,
          `.SS "${roff([...n.path, ...(n.subcommands.length ? ['<command>'] : []), ...n.args].join(' '))}"`,
        ),
      ),
    ...others.flatMap((t) => section(t[0]!, `.SH ${roff(t[0]!.path[0]!.toUpperCase())}`)),
    '.SH FILES',
    '.TP',
    roff('/etc/kerno/config.yaml'),
    'System configuration; the first configuration file found wins.',
    '.TP',
    roff('$XDG_CONFIG_HOME/kerno/config.yaml'),
    roff(
      'Per-user configuration (default ~/.config/kerno/config.yaml). The current directory is never searched;',
    ),
    roff('--config or KERNO_CONFIG name a file explicitly.'),
    '.SH ENVIRONMENT',
    roff(
      'Every configuration key has a KERNO_ variable: KERNO_ and the key path in upper case with "." as "_",',
    ),
    roff(
      'e.g. KERNO_DOCTOR_DURATION=10s. Precedence: flags > environment > file > defaults. NO_COLOR is honoured.',
    ),
    '.SH EXIT STATUS',
    ...m.exitCodes.flatMap(([code, meaning]) => ['.TP', `.B ${code}`, roff(meaning)]),
    '.SH SEE ALSO',
    '.BR bpftool (8),',
    '.BR prometheus (1)',
  ];
  return lines.join('\n') + '\n';
}
