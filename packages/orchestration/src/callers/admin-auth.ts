import { RateLimiterMemory } from 'rate-limiter-flexible';
import type { Logger } from '@orch/logging';
import { bearer, isAdmin, isTenant } from './caller-auth';
import type { Caller } from './caller';

export type AdminCheck = { ok: true } | { ok: false; throttled: boolean; retryAfterSeconds?: number };

/**
 * The admin key check with a brake: each client address gets `failures` wrong keys per minute
 * (10), then 429 until the minute is over — guessing the key is no longer ~750 tries a second —
 * and every refusal is logged (who, where), once per address per minute beyond the first few.
 */
export function adminGuard(adminKey: string | undefined, logger: Pick<Logger, 'warn'>, failures = 10): (header: string | undefined, ip: string, path: string) => Promise<AdminCheck> {
  const limiter = new RateLimiterMemory({ points: failures, duration: 60 });
  return async (header, ip, path) => {
    const state = await limiter.get(ip);
    if (state && state.consumedPoints >= failures) return { ok: false, throttled: true, retryAfterSeconds: Math.ceil(state.msBeforeNext / 1000) };
    if (isAdmin(header, adminKey)) return { ok: true };
    if (!header) return { ok: false, throttled: false };
    const after = await limiter.penalty(ip, 1);
    if (after.consumedPoints <= 3 || after.consumedPoints === failures) {
      logger.warn('wrong admin key', { ip, path: path.slice(0, 200), failures: after.consumedPoints, ...(after.consumedPoints === failures ? { throttled: 'for the rest of the minute' } : {}) });
    }
    return { ok: false, throttled: false };
  };
}

/** What a caller refused /metrics is told, on every door. */
export const METRICS_REFUSAL = 'Metrics need the admin key (Authorization: Bearer <ORCH_ADMIN_KEY>), or ORCH_METRICS_PORT for a scraper';

/**
 * Who may read a door's /metrics (they name models, tools and spend across every caller): the
 * admin key, or a keyless door's local user. A caller key may not (a tenant sees only its own);
 * scrapers use ORCH_METRICS_PORT on a private network, or the admin key.
 */
export async function metricsAllowed(header: string | undefined, adminKey: string | undefined, authenticate: (presented: string | undefined) => Promise<Caller | undefined>): Promise<boolean> {
  if (isAdmin(header, adminKey)) return true;
  const caller = await authenticate(bearer(header));
  return caller !== undefined && !isTenant(caller);
}
