/** Keys whose values are secrets wherever they appear in log metadata. */
const SECRET_KEY = /(api[-_]?key|authorization|password|secret|token|cookie|bearer)$/i;
/** Well-known key shapes, caught even inside free text (error messages echoing a header). */
const SECRET_VALUE = /\b(sk-(?:or-)?[A-Za-z0-9_-]{8,}|Bearer\s+[A-Za-z0-9._~+/=-]{8,})/g;

export const REDACTED = '[REDACTED]';

export interface Redactor {
  (value: unknown): unknown;
}

/**
 * Returns a function that deep-copies a value with secrets masked: values under secret-looking keys,
 * strings shaped like API keys, and every literal secret the process knows (its configured keys).
 * Token counts such as `promptTokens` are numbers and stay visible.
 */
export function createRedactor(secrets: readonly string[] = []): Redactor {
  const literals = [...new Set(secrets.filter((s) => s.length >= 6))].sort((a, b) => b.length - a.length);
  const scrubString = (s: string): string => {
    let out = s;
    for (const lit of literals) if (out.includes(lit)) out = out.split(lit).join(REDACTED);
    return out.replace(SECRET_VALUE, REDACTED);
  };
  const walk = (value: unknown, depth: number, seen: WeakSet<object>): unknown => {
    if (typeof value === 'string') return scrubString(value);
    if (value === null || typeof value !== 'object') return value;
    if (depth > 8 || seen.has(value)) return '[Truncated]';
    seen.add(value);
    if (value instanceof Error) {
      return { name: value.name, message: scrubString(value.message), ...(walk({ ...value }, depth + 1, seen) as object) };
    }
    if (Array.isArray(value)) return value.map((v) => walk(v, depth + 1, seen));
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      out[k] = SECRET_KEY.test(k) && typeof v !== 'number' && typeof v !== 'boolean' && v != null ? REDACTED : walk(v, depth + 1, seen);
    }
    return out;
  };
  return (value) => walk(value, 0, new WeakSet());
}
