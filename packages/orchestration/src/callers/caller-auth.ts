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
 * Keyless callers are the one user of this machine's doors: they see the global figures. A caller
 * key is one tenant among others: it sees only its own spend, budgets and requests — never another
 * key's request ids or costs, nor the totals (those need the admin key: GET /admin/spend).
 */
export const isTenant = (caller: Caller): boolean => !isKeyless(caller);
