import { OrchestratorError, type ErrorInfo } from '@orch/contracts';

/** Deepest JSON nesting any front door accepts (objects and arrays). Tool inputs need a handful. */
export const MAX_JSON_DEPTH = 64;

const OPEN = new Set([0x7b, 0x5b]); // { [
const CLOSE = new Set([0x7d, 0x5d]); // } ]

/**
 * Throws `invalid_arguments` when JSON text nests deeper than `max`. Scans the raw bytes before
 * anything parses or walks the value, so a 20,000-level body costs one linear pass instead of a
 * stack overflow in a recursive walk (zod, JSON.stringify). Structural characters are ASCII, so
 * UTF-8 multi-byte sequences never look like them.
 */
export function checkJsonDepth(text: Buffer | string, max = MAX_JSON_DEPTH): void {
  const buf = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
  let depth = 0;
  let inString = false;
  for (let i = 0; i < buf.length; i++) {
    const c = buf[i]!;
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (OPEN.has(c)) {
      if (++depth > max) throw new OrchestratorError('invalid_arguments', `The JSON nests deeper than ${max} levels`, { details: { rule: 'max_json_depth', limit: max } });
    } else if (CLOSE.has(c)) depth--;
  }
}

/** Host names of this machine, as a Host header or a bind address gives them. */
export const LOOPBACK_HOSTS: readonly string[] = ['localhost', '127.0.0.1', '[::1]', '::1'];

/**
 * A `Host` header a front door serves: a loopback name, or one listed in ORCH_ALLOWED_HOSTS (`*`
 * accepts any). A DNS-rebinding page reaches a loopback port under its own name, so anything else
 * is refused. The port is ignored; a missing header is refused.
 */
export function hostAllowed(host: string | undefined, allowed: readonly string[]): boolean {
  if (!host) return false;
  if (allowed.includes('*')) return true;
  let name: string;
  try {
    name = new URL(`http://${host}`).hostname;
  } catch {
    return false;
  }
  return LOOPBACK_HOSTS.includes(name) || allowed.includes(name) || allowed.includes(host);
}

/** What body-parser and the router say about a malformed request, by their error `type`. */
const BODY_ERRORS: Record<string, string> = {
  'entity.parse.failed': 'The body is not valid JSON',
  'charset.unsupported': 'Send the JSON body as UTF-8 (Content-Type: application/json; charset=utf-8)',
  'encoding.unsupported': 'Content-Encoding must be identity, gzip, deflate or br',
  'request.aborted': 'The request body ended early',
  'request.size.invalid': 'The body is not as long as Content-Length says',
};

/**
 * A malformed HTTP request (bad JSON, charset, encoding, URL escape, nesting) as the 4xx status and
 * error to answer, or undefined when the error is not the client's. The REST bridge and the MCP
 * gateway each put it in their own envelope.
 */
export function malformedRequest(err: Error & { type?: string; status?: number }): { status: number; error: ErrorInfo } | undefined {
  if (err.type === 'entity.too.large') return { status: 413, error: { code: 'payload_too_large', message: 'The request body is over the size limit', retryable: false } };
  // Thrown by checkJsonDepth in body-parser's verify hook (body-parser passes the error itself on).
  if (err instanceof OrchestratorError) return { status: 400, error: err.toInfo() };
  if (typeof err.status !== 'number' || err.status < 400 || err.status >= 500) return undefined;
  const message = (err.type !== undefined ? BODY_ERRORS[err.type] : undefined) ?? (err instanceof URIError ? 'The URL holds a malformed %-escape' : 'The request is malformed');
  const status = err.type === 'charset.unsupported' || err.type === 'encoding.unsupported' ? 415 : err.status;
  return { status, error: { code: 'invalid_arguments', message, retryable: false } };
}

/**
 * A browser Origin a front door accepts: its own (a page it serves itself, such as /docs: the
 * origin's host is the request's Host), or one listed in ORCH_ALLOWED_ORIGINS (`*` for any). A page
 * on another localhost port is another origin: it is refused like any other, so a local web page
 * cannot spend a keyless door's budget or read what its user's Claude did.
 */
export function originAllowed(origin: string, allowed: readonly string[], host: string | undefined): boolean {
  if (allowed.includes(origin) || allowed.includes('*')) return true;
  try {
    const url = new URL(origin);
    return host !== undefined && (url.protocol === 'http:' || url.protocol === 'https:') && url.host === host.toLowerCase();
  } catch {
    return false;
  }
}

const refusedOrigins = new Set<string>();

/**
 * A browser origin a front door refused: the message for the caller, and one log line per origin
 * (at most a thousand are remembered) naming the variable that would allow it — a page that fails
 * with "closed 1006" or a 403 leaves its reason where the operator looks.
 */
export function originRefusal(origin: string, logger: { warn(message: string, meta?: Record<string, unknown>): void }, door: string): string {
  const message = `Origin ${origin.slice(0, 200)} is not allowed; add it to ORCH_ALLOWED_ORIGINS`;
  if (!refusedOrigins.has(origin) && refusedOrigins.size < 1000) {
    refusedOrigins.add(origin);
    logger.warn('refused a browser origin', { door, origin: origin.slice(0, 200), allow: `ORCH_ALLOWED_ORIGINS=${origin.slice(0, 200)}` });
  }
  return message;
}
