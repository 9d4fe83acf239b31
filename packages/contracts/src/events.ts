import { z } from 'zod';
import { ErrorInfoSchema } from './errors';
import { ModelCallResultSchema } from './jobs';

/**
 * Events on a request's stream (`orch:req:{requestId}:events`, a Redis Stream). Front doors follow
 * it to forward progress; a client resumes from its last event id. Events are small: partial text
 * is sent as deltas, throttled by the worker to a few per second.
 */
const base = {
  requestId: z.string(),
  jobId: z.string().optional(),
  model: z.string().optional(),
  /** Epoch milliseconds when the event was written. */
  ts: z.number().int(),
};

export const ProgressEventSchema = z.object({
  ...base,
  type: z.literal('progress'),
  stage: z.enum(['queued', 'started', 'waiting_provider', 'streaming', 'retrying', 'settling', 'synthesizing', 'round']),
  message: z.string().optional(),
  attempt: z.number().int().positive().optional(),
});

export const PartialEventSchema = z.object({
  ...base,
  type: z.literal('partial'),
  /**
   * Text written since the previous partial event of the same job. Only streamed answers have
   * partials: a plain (non-streamed) answer arrives whole, once, in its `result`.
   */
  delta: z.string(),
  /** Characters written so far by this job (after this delta): lets a reader detect a gap. */
  chars: z.number().int().nonnegative(),
  /**
   * The attempt that wrote it. A call that starts again (retry, or a run after its worker died)
   * first sends `progress` `started` with the new attempt: text of earlier attempts is void.
   */
  attempt: z.number().int().positive().optional(),
});

export const ResultEventSchema = z.object({
  ...base,
  type: z.literal('result'),
  result: ModelCallResultSchema,
});

export const ErrorEventSchema = z.object({
  ...base,
  type: z.literal('error'),
  error: ErrorInfoSchema,
  /** False when the job will be retried. */
  final: z.boolean(),
  attempt: z.number().int().positive().optional(),
});

/** The request as a whole has ended (its tool output is in the request record). */
export const DoneEventSchema = z.object({
  ...base,
  type: z.literal('done'),
  status: z.enum(['completed', 'failed', 'cancelled']),
  error: ErrorInfoSchema.optional(),
});

export const RequestEventSchema = z.discriminatedUnion('type', [
  ProgressEventSchema,
  PartialEventSchema,
  ResultEventSchema,
  ErrorEventSchema,
  DoneEventSchema,
]);
export type RequestEvent = z.infer<typeof RequestEventSchema>;
export type ProgressEvent = z.infer<typeof ProgressEventSchema>;
export type PartialEvent = z.infer<typeof PartialEventSchema>;
export type ResultEvent = z.infer<typeof ResultEventSchema>;
export type ErrorEvent = z.infer<typeof ErrorEventSchema>;
export type DoneEvent = z.infer<typeof DoneEventSchema>;

/** An event as read back from the stream, with its stream id (for resuming). */
export type StoredRequestEvent = RequestEvent & { id: string };
