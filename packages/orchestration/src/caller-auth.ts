import { createHash, timingSafeEqual } from 'node:crypto';
import type { Caller } from './tools';

const digest = (s: string) => createHash('sha256').update(s).digest();

/**
 * Checks a bearer key against the configured ones in constant time (comparing SHA-256 digests, so
 * lengths leak nothing either). Returns the caller it identifies, or undefined.
 */
export function callerForKey(presented: string | undefined, keys: readonly string[], fileAccess: boolean): Caller | undefined {
  if (keys.length === 0) return { id: 'local', fileAccess };
  if (!presented) return undefined;
  const p = digest(presented);
  let match: string | undefined;
  for (const k of keys) if (timingSafeEqual(p, digest(k))) match = k;
  return match === undefined ? undefined : { id: `key:${digest(match).toString('hex').slice(0, 16)}`, fileAccess };
}

/** `Authorization: Bearer <key>` → the key. */
export function bearer(header: string | undefined): string | undefined {
  const m = /^Bearer\s+(.+)$/i.exec(header ?? '');
  return m?.[1]?.trim();
}

/** A browser Origin the REST and WebSocket bridges accept: listed in ORCH_ALLOWED_ORIGINS, or `*` listed. */
export function originAllowed(origin: string, allowed: readonly string[]): boolean {
  return allowed.includes(origin) || allowed.includes('*');
}
