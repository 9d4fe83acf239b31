// Seeded generators for the fuzz suite, built on fast-check's arbitraries: the same seed gives the
// same inputs, so a failure is replayed with `pnpm run fuzz --seed=N`.
import fc from 'fast-check';

/** Strings a careless or hostile caller sends: prototype keys, ids out of range, escapes, unicode. */
export const nastyString = fc.oneof(
  fc.constantFrom(
    '__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf', '__defineGetter__',
    '', ' ', '\u0000', '\uD800', '\uDFFF\uD800', '../../etc/passwd', '/etc/shadow', '.env', '%ZZ', '%00', '%',
    '99999999999999999999', '18446744073709551616-0', '0-99999999999999999999', '-1', 'NaN', 'Infinity', '1e309',
    '{}', '[]', 'null', 'true', '<script>alert(1)</script>', "' OR 1=1 --", '${7*7}', '\r\nX-Injected: 1',
    'ا‮לשון‬', '👩‍👩‍👧‍👦'.repeat(20), 'ǅ'.repeat(300),
  ),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
);

/** Any JSON value, shallow, of any type: what goes where the schema wants something else. */
export const wrongValue = fc.oneof(
  nastyString,
  fc.integer(),
  fc.double({ noNaN: false }),
  fc.boolean(),
  fc.constant(null),
  fc.array(nastyString, { maxLength: 4 }),
  fc.dictionary(nastyString, nastyString, { maxKeys: 3 }),
);

/** A JSON text nested `depth` levels deep (arrays or objects). */
export function deepJson(depth, kind = 'array') {
  return kind === 'array' ? `${'['.repeat(depth)}${']'.repeat(depth)}` : `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
}

/** A plausible valid value for a JSON Schema (required fields only, smallest allowed values). */
export function sampleFromSchema(schema, depth = 0) {
  if (!schema || typeof schema !== 'object' || depth > 6) return null;
  if ('const' in schema) return schema.const;
  if (Array.isArray(schema.enum)) return schema.enum[0];
  const alt = schema.anyOf ?? schema.oneOf;
  if (Array.isArray(alt)) return sampleFromSchema(alt[0], depth + 1);
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  switch (type) {
    case 'string':
      return 'x'.repeat(Math.max(1, schema.minLength ?? 1));
    case 'integer':
    case 'number':
      return schema.minimum ?? schema.exclusiveMinimum ?? 1;
    case 'boolean':
      return true;
    case 'array':
      return Array.from({ length: Math.max(1, schema.minItems ?? 1) }, () => sampleFromSchema(schema.items, depth + 1));
    case 'object': {
      const out = {};
      for (const key of schema.required ?? []) out[key] = sampleFromSchema(schema.properties?.[key], depth + 1);
      return out;
    }
    default:
      return null;
  }
}

/** Ways to break a valid body. Each returns the body as text. */
export const BODY_MUTATIONS = ['valid', 'drop_required', 'wrong_type', 'extra_key', 'proto_key', 'huge_string', 'deep', 'not_object', 'unicode', 'truncated', 'empty'];

export function mutateBody(valid, schema, mutation, value, rnd) {
  const keys = Object.keys(schema?.properties ?? {});
  const pick = (list) => list[Math.floor(rnd() * list.length)];
  const copy = valid && typeof valid === 'object' && !Array.isArray(valid) ? { ...valid } : {};
  switch (mutation) {
    case 'valid':
      return JSON.stringify(valid);
    case 'drop_required': {
      const req = schema?.required ?? [];
      if (req.length) delete copy[pick(req)];
      return JSON.stringify(copy);
    }
    case 'wrong_type':
      if (keys.length) copy[pick(keys)] = value;
      return JSON.stringify(copy);
    case 'extra_key':
      copy[typeof value === 'string' && value ? value : 'unknown_key'] = value;
      return JSON.stringify(copy);
    case 'proto_key':
      return JSON.stringify(copy).replace(/^\{/, `{"__proto__":{"polluted":true},"constructor":{"prototype":{"x":1}},`).replace(/,}$/, '}');
    case 'huge_string':
      if (keys.length) copy[pick(keys)] = 'A'.repeat(pick([70_000, 500_000, 3_000_000]));
      return JSON.stringify(copy);
    case 'deep':
      return keys.length ? JSON.stringify(copy).replace(/^\{/, `{"${pick(keys)}":${deepJson(pick([65, 1_000, 20_000]), pick(['array', 'object']))},`).replace(/,}$/, '}') : deepJson(20_000);
    case 'not_object':
      return JSON.stringify(value);
    case 'unicode':
      for (const k of keys) if (typeof copy[k] === 'string') copy[k] = `${copy[k]}\uD800 ‮ 𝕏 \u0000 ${'é'.repeat(50)}`;
      return JSON.stringify(copy);
    case 'truncated':
      return JSON.stringify(valid).slice(0, -1);
    case 'empty':
      return '';
    default:
      throw new Error(`unknown mutation ${mutation}`);
  }
}

/** Evidence of a leaked stack trace or internal path in a response. */
export const STACK_TRACE = /\bat [^\n]*\(?\/?[\w./-]+\.(?:js|ts|mjs|cjs):\d+|node_modules\/|\n\s+at /;
