import { ConfigSchema } from './schema';

/** Keys of the original project's config.yaml (the seed) and what to write here instead. */
/** (Those the seed's config.yaml used as written are accepted as they are: seed-spellings.ts.) */
const SEED_KEYS: Record<string, string> = {
  model_id: 'modelId',
  max_tokens: 'maxOutputTokens',
  context_window: 'contextWindow',
  reasoning_effort: 'reasoningEffort',
  base_url: 'baseUrl',
  api_key: 'apiKeyEnv (the name of the environment variable holding the key; secrets never go in YAML)',
};

type Def = { type: string; shape?: Record<string, unknown>; valueType?: unknown; innerType?: unknown; in?: unknown; out?: unknown; options?: unknown[] };
const defOf = (schema: unknown): Def | undefined => (schema as { _zod?: { def?: Def } })?._zod?.def;

/** Strips defaults, optionals and pipes down to the object or record underneath. */
function unwrap(schema: unknown): unknown {
  for (let i = 0; i < 10; i++) {
    const def = defOf(schema);
    if (!def) return schema;
    if (def.innerType) schema = def.innerType;
    else if (def.type === 'pipe') schema = def.out && defOf(def.out)?.type !== 'transform' ? def.out : def.in;
    else return schema;
  }
  return schema;
}

/** The setting names the schema accepts at `path` (a record's entries take its value's keys). */
function knownKeys(path: PropertyKey[]): string[] {
  let node: unknown = ConfigSchema;
  for (const seg of path) {
    const def = defOf(unwrap(node));
    if (def?.type === 'object') node = def.shape?.[String(seg)];
    else if (def?.type === 'record') node = def.valueType;
    else return [];
  }
  const def = defOf(unwrap(node));
  return def?.type === 'object' ? Object.keys(def.shape ?? {}) : [];
}

function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
  }
  return d[a.length]![b.length]!;
}

const camel = (key: string) => key.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

/**
 * What to write instead of an unknown config key: the seed's name for a setting, a snake_case
 * spelling, or a near miss (`temprature` → `temperature`). Empty when nothing is close.
 */
export function unknownKeyHint(path: PropertyKey[], key: string): string {
  if (Object.hasOwn(SEED_KEYS, key)) return ` (the original project's name; write ${SEED_KEYS[key]})`;
  const known = knownKeys(path);
  if (known.includes(camel(key))) return `; write ${camel(key)}`;
  const close = known.map((k) => ({ k, d: distance(key.toLowerCase(), k.toLowerCase()) })).sort((x, y) => x.d - y.d)[0];
  if (close && close.d <= Math.max(1, Math.floor(key.length / 4))) return `; did you mean ${close.k}?`;
  return known.length ? ` (settings here: ${known.join(', ')})` : '';
}
