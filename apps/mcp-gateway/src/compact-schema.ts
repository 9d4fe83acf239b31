/** Bounds and meta keywords a caller's model does not need; the server still enforces them, and its errors name the rule. */
const BOUNDS = ['$schema', 'additionalProperties', 'minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'minLength', 'maxLength', 'pattern', 'format', 'minItems', 'maxItems'];
const DROPPED_FROM_OUTPUT = new Set(['description', 'required', ...BOUNDS]);
const DROPPED_FROM_INPUT = new Set(BOUNDS);

type Json = unknown;

/**
 * The output schema as `tools/list` shows it: every top-level field with its type (`status` with its
 * enum), its objects and arrays bare `object`/`array`, no descriptions, bounds or `required`. It admits everything
 * the full schema does (the server still validates against the full one), at a fraction of the
 * tokens: the full schemas repeated on every model tool were 10.7k of the list's 15k tokens. The
 * full output schemas are in the REST bridge's OpenAPI document and in packages/contracts.
 */
export function compactOutputSchema(schema: Json, omit: readonly string[] = []): Json {
  const out = compact(schema, 0, DROPPED_FROM_OUTPUT, 1) as { properties?: Record<string, Record<string, Json>> };
  // Fields this tool never returns (a council's, on a tool that runs none).
  for (const name of omit) delete out.properties?.[name];
  // Enums only where a client branches on the value (`status`); the others (strategy, agreement,
  // an analysis's levels) are named in the input schemas and the full contract.
  for (const [name, prop] of Object.entries(out.properties ?? {})) if (name !== 'status' && prop && 'enum' in prop) delete prop.enum;
  return out;
}

/**
 * The input schema as `tools/list` shows it: every field, nested ones too, with its type, enum and
 * description, but without length and count bounds or `$schema` (about 950 of the list's 5,950
 * o200k tokens). The arguments are checked against the full schema, and a value out of bounds is
 * refused with an error naming the field and the bound.
 */
export function compactInputSchema(schema: Json): Json {
  return compact(schema, 0, DROPPED_FROM_INPUT, Infinity);
}

function compact(node: Json, depth: number, dropped: ReadonlySet<string>, bareFrom: number): Json {
  if (Array.isArray(node)) return node.map((n) => compact(n, depth, dropped, bareFrom));
  if (!node || typeof node !== 'object') return node;
  const src = node as Record<string, Json>;
  if (depth >= bareFrom && (src.type === 'object' || src.type === 'array')) return { type: src.type };
  const out: Record<string, Json> = {};
  for (const [key, value] of Object.entries(src)) {
    if (dropped.has(key)) continue;
    if (key === 'properties' && value && typeof value === 'object') {
      out.properties = Object.fromEntries(Object.entries(value as Record<string, Json>).map(([name, s]) => [name, compact(s, depth + 1, dropped, bareFrom)]));
    } else if (key === 'items') {
      out.items = compact(value, depth + 1, dropped, bareFrom);
    } else {
      out[key] = compact(value, depth, dropped, bareFrom);
    }
  }
  return out;
}
