// Record layouts that TypeScript decodes (map keys and values, ring-buffer records), declared once beside
// their decoder and checked against the BTF that clang wrote into the BPF object. bpf/*.h is the source of
// truth; a layout here is a claim about it, and `layoutDrift` refuses the claim the moment the C struct
// changes (a field added, moved or resized), at every load, so drift fails loudly instead of decoding junk.

/** What the object's BTF says about one struct (native `btfStruct`). */
export interface BtfStruct {
  size: number;
  members: { name: string; offset: number; size: number; bitfield?: boolean }[];
}

export interface StructLayout<F extends string = string> {
  /** The C struct's name in bpf/*.h. */
  readonly struct: string;
  /** sizeof(struct). */
  readonly size: number;
  /** Byte offset of EVERY member, by its C name: a member the C struct gains must be added here too. */
  readonly offset: Readonly<Record<F, number>>;
}

export function defineLayout<F extends string>(
  struct: string,
  size: number,
  offset: Record<F, number>,
): StructLayout<F> {
  return Object.freeze({ struct, size, offset: Object.freeze({ ...offset }) });
}

/** Every way `layout` disagrees with `btf` (empty when they agree). */
export function layoutDrift(layout: StructLayout, btf: BtfStruct | undefined): string[] {
  if (!btf) return [`struct ${layout.struct} is not in the object's BTF`];
  const problems: string[] = [];
  if (btf.size !== layout.size) problems.push(`sizeof is ${btf.size}, TypeScript says ${layout.size}`);
  const declared = new Map(Object.entries(layout.offset as Record<string, number>));
  for (const m of btf.members) {
    const want = declared.get(m.name);
    if (want === undefined) problems.push(`.${m.name} (offset ${m.offset}) is not declared in TypeScript`);
    else if (want !== m.offset) problems.push(`.${m.name} is at offset ${m.offset}, TypeScript says ${want}`);
    if (m.bitfield) problems.push(`.${m.name} is a bitfield, which byte offsets cannot describe`);
    declared.delete(m.name);
  }
  for (const name of declared.keys()) problems.push(`.${name} is declared in TypeScript but not in C`);
  return problems.map((p) => `struct ${layout.struct}${p.startsWith('.') ? '' : ': '}${p}`);
}
