/** Keys whose values are secrets wherever they appear in log metadata. */
const SECRET_KEY = /(api[-_]?key|authorization|password|secret|token|cookie|bearer)$/i;

/**
 * Shapes of credentials, caught inside free text (a provider error echoing our key, a pasted file):
 * OpenAI/OpenRouter/Anthropic `sk-…`, our own managed caller keys `orch_sk_…`, bearer tokens, Google `AIza…`, GitHub `gh?_…`, AWS access key
 * ids, Slack tokens, and PEM private key blocks.
 */
const SECRET_SHAPES = [
  String.raw`\bsk-[A-Za-z0-9_-]{8,}`,
  String.raw`\borch_sk_[A-Za-z0-9_-]{16,}`,
  String.raw`\bBearer\s+[A-Za-z0-9._~+/=-]{8,}`,
  String.raw`\bAIza[0-9A-Za-z_-]{30,}`,
  String.raw`\bgh[pousr]_[A-Za-z0-9]{30,}`,
  String.raw`\b(?:AKIA|ASIA)[0-9A-Z]{16}\b`,
  String.raw`\bxox[abprs]-[A-Za-z0-9-]{10,}`,
  String.raw`-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----`,
  // A password or token inside a URL (a git remote, a database URL): scheme://user:secret@
  String.raw`\b[a-z][a-z0-9+.-]*://[^\s/:@]+:[^\s/@]{3,}@`,
];
const SECRET_VALUE = new RegExp(SECRET_SHAPES.join('|'), 'g');
/** A PEM private key's first line is enough to know a file holds one (it may be cut short). */
const CREDENTIAL_IN_FILE = new RegExp([...SECRET_SHAPES, String.raw`-----BEGIN [A-Z ]*PRIVATE KEY-----`].join('|'));

/**
 * Whether a text holds something shaped like a credential the scrubber knows (the same shapes):
 * a file about to be sent to an external model is refused on this, not silently redacted.
 */
export function holdsCredential(text: string): boolean {
  return CREDENTIAL_IN_FILE.test(text);
}

/**
 * Configured secrets shorter than this are not matched literally: a short one would also match
 * ordinary text (ids, numbers) and corrupt the values written to Redis.
 */
export const MIN_LITERAL_SECRET = 8;

export const REDACTED = '[REDACTED]';

/** Masks secrets inside one string. */
export type Scrubber = (text: string) => string;

/**
 * THE scrubber: every text that leaves a process through a log line or a Redis write goes through
 * one of these (the logger's redactor, and the scrubbing Redis connection of @orch/queue). It
 * replaces every configured secret (provider keys, caller keys) and every credential-shaped string
 * with `[REDACTED]`. `[REDACTED]` itself matches nothing, so scrubbing twice changes nothing.
 */
export function createScrubber(secrets: readonly string[] = []): Scrubber {
  const literals = [...new Set(secrets.filter((s) => s.length >= MIN_LITERAL_SECRET))].sort((a, b) => b.length - a.length);
  return (s) => {
    let out = s;
    for (const lit of literals) if (out.includes(lit)) out = out.split(lit).join(REDACTED);
    SECRET_VALUE.lastIndex = 0;
    return SECRET_VALUE.test(out) ? out.replace(SECRET_VALUE, REDACTED) : out;
  };
}

export interface Redactor {
  (value: unknown): unknown;
}

/**
 * Returns a function that deep-copies a value with secrets masked: values under secret-looking keys,
 * and every string through the scrubber. Token counts such as `promptTokens` are numbers and stay
 * visible.
 */
export function createRedactor(secrets: readonly string[] = []): Redactor {
  const scrubString = createScrubber(secrets);
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
