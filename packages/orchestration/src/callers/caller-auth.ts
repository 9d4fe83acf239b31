import { createHash, timingSafeEqual } from 'node:crypto';
import type { Caller } from './caller';

const digest = (s: string) => createHash('sha256').update(s).digest();

/**
 * The callers of doors without keys: the MCP gateway's (the user's Claude, which may read their
 * files) and the bridges' (REST, WebSocket: web pages among them), kept apart so that a page cannot
 * continue an MCP conversation. One user of one machine: they see the global figures.
 */
export const KEYLESS = { mcp: 'local', web: 'local:web' } as const;

/** The keyless caller of a door: the MCP gateway's when it reads files, else the bridges'. */
export const keylessCaller = (fileAccess: boolean): Caller => ({ id: fileAccess ? KEYLESS.mcp : KEYLESS.web, fileAccess });

export const isKeyless = (caller: Caller): boolean => caller.id === KEYLESS.mcp || caller.id === KEYLESS.web;

/**
 * Checks a bearer key against the configured ones in constant time (comparing SHA-256 digests, so
 * lengths leak nothing either). Returns the caller it identifies, or undefined.
 */
export function callerForKey(presented: string | undefined, keys: readonly string[], fileAccess: boolean): Caller | undefined {
  if (keys.length === 0) return keylessCaller(fileAccess);
  if (!presented) return undefined;
  const p = digest(presented);
  let match: string | undefined;
  for (const k of keys) if (timingSafeEqual(p, digest(k))) match = k;
  return match === undefined ? undefined : { id: `key:${digest(match).toString('hex').slice(0, 16)}`, fileAccess };
}

/**
 * The operators' admin key, from `Authorization: Bearer <key>` or, for a browser, Basic auth with
 * the key as the password (any user name). Constant time.
 */
export function isAdmin(header: string | undefined, adminKey: string | undefined): boolean {
  if (!adminKey || !header) return false;
  const basic = /^Basic\s+(.+)$/i.exec(header);
  const presented = basic ? Buffer.from(basic[1]!, 'base64').toString('utf8').replace(/^[^:]*:/, '') : bearer(header);
  return presented !== undefined && timingSafeEqual(digest(presented), digest(adminKey));
}

/** `Authorization: Bearer <key>` → the key. */
export function bearer(header: string | undefined): string | undefined {
  const m = /^Bearer\s+(.+)$/i.exec(header ?? '');
  return m?.[1]?.trim();
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

/**
 * Keyless callers are the one user of this machine's doors: they see the global figures. A caller
 * key is one tenant among others: it sees only its own spend, budgets and requests — never another
 * key's request ids or costs, nor the totals (those need the admin key: GET /admin/spend).
 */
export const isTenant = (caller: Caller): boolean => !isKeyless(caller);
