/** Keywords a caller's model does not need to read a tool's answer; validation stays server-side. */
const DROPPED = new Set(['description', '$schema', 'additionalProperties', 'minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'minLength', 'maxLength', 'pattern', 'format', 'minItems', 'maxItems']);

type Json = unknown;

/**
 * The output schema as `tools/list` shows it: every top-level field with its type (and enum), its
 * objects and arrays bare `object`/`array`, no descriptions or bounds. It admits everything
 * the full schema does (the server still validates against the full one), at a fraction of the
 * tokens: the full schemas repeated on every model tool were 10.7k of the list's 15k tokens. The
 * full output schemas are in the REST bridge's OpenAPI document and in packages/contracts.
 */
export function compactOutputSchema(schema: Json): Json {
  return compact(schema, 0);
}

function compact(node: Json, depth: number): Json {
  if (Array.isArray(node)) return node.map((n) => compact(n, depth));
  if (!node || typeof node !== 'object') return node;
  const src = node as Record<string, Json>;
  if (depth >= 1 && (src.type === 'object' || src.type === 'array')) return { type: src.type };
  const out: Record<string, Json> = {};
  for (const [key, value] of Object.entries(src)) {
    if (DROPPED.has(key)) continue;
    if (key === 'properties' && value && typeof value === 'object') {
      out.properties = Object.fromEntries(Object.entries(value as Record<string, Json>).map(([name, s]) => [name, compact(s, depth + 1)]));
    } else if (key === 'items') {
      out.items = compact(value, depth + 1);
    } else {
      out[key] = compact(value, depth);
    }
  }
  return out;
}
