import type { RedisClient } from '@orch/queue';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { OrchestratorError } from '@orch/contracts';
import type { Logger } from '@orch/logging';
import type { Caller } from './caller';

/**
 * What a caller may do before its call is queued: how many tool calls per window (the global
 * ORCH_RATE_LIMIT, or a managed key's own limit; rate-limiter-flexible on Redis, shared by every
 * front door) and, for a key with an allow-list, which models.
 */
export class CallerLimits {
  private readonly global: RateLimiterRedis | undefined;
  /** Limiters of managed keys with their own rate limit, one per distinct limit. */
  private readonly own = new Map<string, RateLimiterRedis>();

  constructor(private readonly opts: { redis: RedisClient; rateLimit: { points: number; windowSeconds: number }; logger: Logger }) {
    const rl = opts.rateLimit;
    if (rl.points > 0) this.global = new RateLimiterRedis({ storeClient: opts.redis, keyPrefix: 'orch:rl', points: rl.points, duration: rl.windowSeconds });
  }

  /** Counts one call against the caller's rate limit; throws `rate_limited` when it is used up. */
  async consume(caller: Caller): Promise<void> {
    const rl = this.limiterFor(caller);
    if (!rl.limiter) return;
    try {
      await rl.limiter.consume(caller.id);
    } catch (err) {
      if (!(err instanceof RateLimiterRes)) {
        // Redis trouble: fail open here; the call itself will report Redis being down.
        this.opts.logger.warn('rate limiter unavailable', { err: (err as Error)?.message });
        return;
      }
      const retryAfter = Math.max(1, Math.ceil(err.msBeforeNext / 1000));
      throw new OrchestratorError('rate_limited', `Rate limit: ${rl.points} tool calls per ${rl.windowSeconds} s for this caller; retry in ${retryAfter} s`, {
        retryable: true,
        details: { retry_after_seconds: retryAfter, limit: rl.points, window_seconds: rl.windowSeconds },
      });
    }
  }

  /** A managed key with a model allow-list calls only those models (a council's synthesis and judge too). */
  static checkModels(caller: Caller, models: string[]): void {
    const allowed = caller.key?.models;
    if (!allowed) return;
    const refused = [...new Set(models)].filter((m) => !allowed.includes(m));
    if (refused.length) {
      throw new OrchestratorError('forbidden', `models: key "${caller.key!.name}" may call only ${allowed.join(', ')}; this call needs ${refused.join(', ')}`, { details: { field: 'models', allowed, refused } });
    }
  }

  /** A managed key's own limit, else the global one. */
  private limiterFor(caller: Caller): { limiter: RateLimiterRedis | undefined; points: number; windowSeconds: number } {
    const own = caller.key?.rate_limit;
    if (!own) return { limiter: this.global, ...this.opts.rateLimit };
    const id = `${own.points}/${own.window_seconds}`;
    let limiter = this.own.get(id);
    if (!limiter) this.own.set(id, (limiter = new RateLimiterRedis({ storeClient: this.opts.redis, keyPrefix: `orch:rl:${id}`, points: own.points, duration: own.window_seconds })));
    return { limiter, points: own.points, windowSeconds: own.window_seconds };
  }
}
