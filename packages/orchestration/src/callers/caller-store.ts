import type { RedisClient } from '@orch/queue';
import { OrchestratorError, PreferencesSchema, SessionContextSchema, ThreadSchema, readRecord, type ChatMessage, type Preferences, type Thread, type ThreadTurn } from '@orch/contracts';
import { callerKeys, threadKey } from '@orch/queue';

export type { Thread, ThreadTurn };

/**
 * Per-caller state in Redis (not process memory, unlike the seed's global dict): session context,
 * settings, and conversation threads. Every key has a TTL renewed on write.
 */
export class CallerStore {
  constructor(private readonly opts: { redis: RedisClient; sessionTtlSeconds: number; threadTtlSeconds: number; maxThreadTurns: number }) {}

  async getContext(callerId: string): Promise<Record<string, unknown>> {
    return contextOf(await this.opts.redis.get(callerKeys(callerId).context));
  }

  async updateContext(callerId: string, context: Record<string, unknown>, replace: boolean): Promise<Record<string, unknown>> {
    const next = replace ? context : { ...(await this.getContext(callerId)), ...context };
    const json = JSON.stringify(next);
    if (json.length > 64 * 1024) throw new OrchestratorError('payload_too_large', 'context: the session context is limited to 64 KiB', { details: { field: 'context' } });
    await this.opts.redis.set(callerKeys(callerId).context, json, 'EX', this.opts.sessionTtlSeconds);
    return next;
  }

  /** The caller's settings and session context, in one read (both keys share the caller's hash tag). */
  async getPrefsAndContext(callerId: string): Promise<{ prefs: Preferences; context: Record<string, unknown> }> {
    const keys = callerKeys(callerId);
    const [prefs, context] = await this.opts.redis.mget(keys.prefs, keys.context);
    return { prefs: prefsOf(prefs), context: contextOf(context) };
  }

  async getPrefs(callerId: string): Promise<Preferences> {
    return prefsOf(await this.opts.redis.get(callerKeys(callerId).prefs));
  }

  async setPrefs(callerId: string, prefs: Preferences | undefined): Promise<void> {
    const key = callerKeys(callerId).prefs;
    if (!prefs) await this.opts.redis.del(key);
    else await this.opts.redis.set(key, JSON.stringify(prefs), 'EX', this.opts.sessionTtlSeconds);
  }

  /** A conversation thread as stored, or undefined when unknown or expired. */
  async readThread(threadId: string): Promise<Thread | undefined> {
    const raw = await this.opts.redis.get(threadKey(threadId));
    return readRecord(ThreadSchema, raw);
  }

  /**
   * The thread's turns as chat messages: the stored thread, or else what `firstTurns` finds (a
   * conversation of one request lives in that request's record). Unknown, expired or someone
   * else's id → not_found.
   */
  async threadMessages(threadId: string, callerId: string, firstTurns?: () => Promise<Thread | undefined>): Promise<ChatMessage[]> {
    const thread = (await this.readThread(threadId)) ?? (await firstTurns?.());
    if (!thread || thread.owner !== callerId) {
      throw new OrchestratorError('not_found', `continuation_id: no conversation ${threadId} (it may have expired)`, { details: { field: 'continuation_id' } });
    }
    return thread.turns.map((t) => ({ role: t.role, content: t.content }));
  }

  /**
   * Appends turns to `current` (the thread as just read; none: a new thread owned by its caller),
   * keeps the newest and renews the TTL. One write, issued at once.
   */
  async appendTurns(threadId: string, callerId: string, turns: ThreadTurn[], current?: Thread): Promise<void> {
    const thread = current ?? { owner: callerId, turns: [] };
    thread.turns.push(...turns);
    thread.turns = thread.turns.slice(-this.opts.maxThreadTurns);
    await this.opts.redis.set(threadKey(threadId), JSON.stringify(thread), 'EX', this.opts.threadTtlSeconds);
  }
}

/** A caller's stored settings (none stored: none set). */
const prefsOf = (raw: string | null | undefined): Preferences => readRecord(PreferencesSchema, raw) ?? {};

/** A caller's stored session context (none stored: empty). */
const contextOf = (raw: string | null | undefined): Record<string, unknown> => readRecord(SessionContextSchema, raw) ?? {};
