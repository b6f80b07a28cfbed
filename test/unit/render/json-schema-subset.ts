// A small JSON Schema (2020-12) checker covering exactly the keywords docs/report.schema.json uses. It
// refuses schemas with any other keyword, so a constraint added to the schema can never be silently ignored
// by the test that is supposed to enforce it.

export type JsonSchema = boolean | { [keyword: string]: unknown };

const ANNOTATIONS = new Set(['$schema', '$id', '$defs', 'title', 'description', 'format']);
const ASSERTIONS = new Set([
  '$ref',
  'type',
  'const',
  'enum',
  'properties',
  'required',
  'additionalProperties',
  'items',
  'minimum',
  'maximum',
]);

/** Returns one message per violation ("$.findings[0].etaNs: expected integer, got 1.5"); [] when valid. */
export function validate(
  schema: JsonSchema,
  value: unknown,
  root: JsonSchema = schema,
  path = '$',
): string[] {
  if (schema === true) return [];
  if (schema === false) return [`${path}: not allowed here`];
  for (const k of Object.keys(schema)) {
    if (!ANNOTATIONS.has(k) && !ASSERTIONS.has(k))
      throw new Error(`schema keyword "${k}" at ${path} is not supported by this checker`);
  }
  const errors: string[] = [];
  if (typeof schema.$ref === 'string')
    errors.push(...validate(resolve(root, schema.$ref), value, root, path));
  if ('const' in schema && !sameJson(schema.const, value)) {
    errors.push(`${path}: expected ${JSON.stringify(schema.const)}, got ${JSON.stringify(value)}`);
  }
  if (Array.isArray(schema.enum) && !schema.enum.some((e) => sameJson(e, value))) {
    errors.push(`${path}: ${JSON.stringify(value)} is not one of ${JSON.stringify(schema.enum)}`);
  }
  if (schema.type !== undefined) {
    const types = Array.isArray(schema.type) ? (schema.type as string[]) : [schema.type as string];
    if (!types.some((t) => hasType(t, value))) {
      errors.push(`${path}: expected ${types.join(' | ')}, got ${describe(value)}`);
      return errors;
    }
  }
  if (typeof schema.minimum === 'number' && typeof value === 'number' && value < schema.minimum) {
    errors.push(`${path}: ${value} is below the minimum ${schema.minimum}`);
  }
  if (typeof schema.maximum === 'number' && typeof value === 'number' && value > schema.maximum) {
    errors.push(`${path}: ${value} is above the maximum ${schema.maximum}`);
  }
  if (isObject(value)) {
    const props = (schema.properties ?? {}) as Record<string, JsonSchema>;
    for (const key of (schema.required ?? []) as string[]) {
      if (!(key in value)) errors.push(`${path}: missing required key "${key}"`);
    }
    for (const [key, v] of Object.entries(value)) {
      const sub = props[key] ?? (schema.additionalProperties as JsonSchema | undefined);
      if (sub === undefined) continue;
      if (sub === false && !(key in props)) errors.push(`${path}: unexpected key "${key}"`);
      else errors.push(...validate(sub, v, root, `${path}.${key}`));
    }
  }
  if (Array.isArray(value) && schema.items !== undefined) {
    value.forEach((v, i) => errors.push(...validate(schema.items as JsonSchema, v, root, `${path}[${i}]`)));
  }
  return errors;
}

function resolve(root: JsonSchema, ref: string): JsonSchema {
  if (!ref.startsWith('#/')) throw new Error(`only local $refs are supported, got ${ref}`);
  let node: unknown = root;
  for (const part of ref.slice(2).split('/')) node = isObject(node) ? node[part] : undefined;
  if (node === undefined) throw new Error(`unresolvable $ref ${ref}`);
  return node as JsonSchema;
}

function hasType(type: string, v: unknown): boolean {
  switch (type) {
    case 'object':
      return isObject(v);
    case 'array':
      return Array.isArray(v);
    case 'string':
      return typeof v === 'string';
    case 'boolean':
      return typeof v === 'boolean';
    case 'null':
      return v === null;
    case 'number':
      return typeof v === 'number' && Number.isFinite(v);
    case 'integer':
      return typeof v === 'number' && Number.isInteger(v);
    default:
      throw new Error(`unknown type "${type}" in schema`);
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function describe(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  if (v === null) return 'null';
  if (typeof v === 'number' && !Number.isInteger(v)) return `number ${v}`;
  return typeof v;
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
