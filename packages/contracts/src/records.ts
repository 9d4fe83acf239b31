import { z } from 'zod';
import { ErrorInfoSchema } from './errors';
import { ModelToolOutputSchema, PreferencesOutputSchema, RequestStatusSchema, StrategySchema } from './tools';

/**
 * Records kept in Redis, parsed with these schemas when read back: a record written by another
 * version, or damaged, is treated as missing instead of trusted.
 */

/** A request (`orch:req:{id}:meta`), readable by every front door for the request TTL. */
export const RequestRecordSchema = z.object({
  requestId: z.string(),
  tool: z.string(),
  callerId: z.string(),
  strategy: StrategySchema.optional(),
  status: RequestStatusSchema,
  createdAt: z.string(),
  updatedAt: z.string(),
  /** model key per job id, to label partial text. */
  jobs: z.record(z.string(), z.string()),
  /**
   * The caller's prompt (files included). With the output it is the first turn of the request's
   * conversation: a new conversation is not stored twice, its continuation reads it from here.
   */
  prompt: z.string().optional(),
  output: ModelToolOutputSchema.optional(),
  error: ErrorInfoSchema.optional(),
  /**
   * A request of one model call, which no driver waits for: the job id of that call. Its worker
   * ends the request; while it runs, the call's job says whether something will (see RequestViews).
   */
  endsWith: z.string().optional(),
});
export type RequestRecord = z.infer<typeof RequestRecordSchema>;

export const ThreadTurnSchema = z.object({
  role: z.enum(['user', 'assistant']),
  content: z.string(),
  tool: z.string(),
  /** Models that wrote an assistant turn. */
  models: z.array(z.string()).optional(),
  ts: z.number(),
});
export type ThreadTurn = z.infer<typeof ThreadTurnSchema>;

/** A continued conversation (`orch:thread:{id}`). */
export const ThreadSchema = z.object({ owner: z.string(), turns: z.array(ThreadTurnSchema) });
export type Thread = z.infer<typeof ThreadSchema>;

/** A caller's settings (configure_orchestrator). */
export const PreferencesSchema = PreferencesOutputSchema.shape.settings;

/** Session context (update_session_context). */
export const SessionContextSchema = z.record(z.string(), z.unknown());

/** Parses a stored JSON record; undefined when it is missing, not JSON, or not of the schema. */
export function readRecord<T>(schema: z.ZodType<T>, raw: string | null | undefined): T | undefined {
  if (!raw) return undefined;
  try {
    const parsed = schema.safeParse(JSON.parse(raw));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
