import { z } from 'zod';
import { ErrorInfoSchema } from './errors';
import { UsageSchema } from './usage';
import { StrategySchema, ThinkingModeSchema } from './tools';
import { CouncilModeSchema } from './council';

/**
 * Queue names. NEVER RENAME: queued jobs, dashboards and KEDA triggers use them.
 * The braces are Redis Cluster hash tags, so each queue's keys live in one slot.
 */
export const QUEUE_NAMES = {
  openrouter: '{openrouter}',
  openai: '{openai}',
} as const;
export const QueueKeySchema = z.enum(['openrouter', 'openai']);
export type QueueKey = z.infer<typeof QueueKeySchema>;

/** Job names. NEVER RENAME. */
export const JOB_NAMES = { modelCall: 'model-call', driveRequest: 'drive-request' } as const;

/**
 * The queue of request drivers: one job per request (its id is the request id), run by whichever
 * front door is free, taken over by another when its process dies. NEVER RENAME.
 */
export const REQUEST_QUEUE_NAME = '{requests}';

export const ChatMessageSchema = z.object({
  role: z.enum(['system', 'developer', 'user', 'assistant']),
  content: z.string(),
});
export type ChatMessage = z.infer<typeof ChatMessageSchema>;

export const ReasoningEffortSchema = z.enum(['minimal', 'low', 'medium', 'high']);
export type ReasoningEffort = z.infer<typeof ReasoningEffortSchema>;

/** The caller key a call is booked to, and its budgets (USD) as they were when the call was accepted. */
export const KeyBudgetSchema = z.object({
  id: z.string().min(1),
  name: z.string().optional(),
  dailyUsd: z.number().positive().optional(),
  monthlyUsd: z.number().positive().optional(),
});
export type KeyBudget = z.infer<typeof KeyBudgetSchema>;

/**
 * One model call, as queued. Workers `safeParse` it first. New fields must be optional so jobs
 * queued by an older producer still parse after a deploy. Holds no secrets: the worker resolves
 * the model's endpoint and key from its own configuration.
 */
export const ModelCallPayloadSchema = z.object({
  /** The tool call this belongs to (ULID). All spend of one request is bounded together. */
  requestId: z.string().min(1),
  /** Position of this call within its request (0 for single-model tools). */
  callIndex: z.number().int().nonnegative().default(0),
  /** Configured model key, e.g. `gemini_pro`. */
  model: z.string().min(1),
  messages: z.array(ChatMessageSchema).min(1),
  /** Output cap; always sent to the provider (the ledger reserves on it). */
  maxOutputTokens: z.number().int().positive().optional(),
  temperature: z.number().min(0).max(2).optional(),
  reasoningEffort: ReasoningEffortSchema.optional(),
  /** Stream when the model allows; the worker falls back to a plain call when it does not. */
  stream: z.boolean().default(true),
  /** Per-attempt wall-clock limit for the provider call. */
  timeoutMs: z.number().int().positive().optional(),
  /** A lower per-request spend limit chosen by the caller (USD); the operator's limit still applies. */
  maxRequestCostUsd: z.number().positive().optional(),
  /** The caller's key: the ledger books the call to it and holds it to its budgets. */
  key: KeyBudgetSchema.optional(),
  /** Free-form labels carried into logs and results (tool name, strategy, caller). */
  labels: z.record(z.string(), z.string()).optional(),
  /**
   * This call is its request's only one and no driver waits for it: the worker that ends the call
   * (answered, or failed for good) ends the request — its record and `done` — in the same step.
   */
  endsRequest: z.boolean().optional(),
});
export type ModelCallPayload = z.infer<typeof ModelCallPayloadSchema>;
export type ModelCallPayloadInput = z.input<typeof ModelCallPayloadSchema>;

export const CostSourceSchema = z.enum(['provider', 'computed', 'generation_lookup']);

export const ModelCallResultSchema = z.object({
  requestId: z.string(),
  callIndex: z.number().int().nonnegative(),
  jobId: z.string(),
  model: z.string(),
  modelId: z.string(),
  provider: z.string(),
  text: z.string(),
  finishReason: z.string().nullable(),
  usage: UsageSchema,
  /** The provider sent no usage: the token counts are estimated from the text (about 4 characters a token). */
  usageEstimated: z.boolean().optional(),
  /** USD. From the provider where it reports cost (OpenRouter `usage.cost`), else tokens × prices. */
  costUsd: z.number().nonnegative(),
  costSource: CostSourceSchema,
  /** Provider generation id (OpenRouter `gen-…`), usable to look the cost up later. */
  generationId: z.string().optional(),
  streamed: z.boolean(),
  latencyMs: z.number().nonnegative(),
  /** 1-based attempt number that produced this result. */
  attempt: z.number().int().positive(),
  /** The worker process that ran it (`host/pid`). */
  worker: z.string().optional(),
});
export type ModelCallResult = z.infer<typeof ModelCallResultSchema>;

/** What a failed job leaves behind (also sent as the `error` event). */
export const ModelCallFailureSchema = z.object({
  requestId: z.string(),
  callIndex: z.number().int().nonnegative(),
  jobId: z.string(),
  model: z.string(),
  error: ErrorInfoSchema,
  attempt: z.number().int().positive(),
  /** False when the worker will try again. */
  final: z.boolean(),
});
export type ModelCallFailure = z.infer<typeof ModelCallFailureSchema>;

/**
 * What a driver needs to run a request's strategy from the start, or again from the top after a
 * takeover (finished model calls are not run again: their job ids are the same, and their results
 * are read back from the request's event stream). New fields must be optional.
 */
export const DriveRequestPayloadSchema = z.object({
  requestId: z.string().min(1),
  tool: z.string(),
  callerId: z.string(),
  strategy: StrategySchema,
  models: z.array(z.string()).min(1),
  messages: z.array(ChatMessageSchema).min(1),
  synthesisModel: z.string(),
  judgeModel: z.string(),
  firstModel: z.string(),
  requireConsensus: z.boolean(),
  maxRounds: z.number().int().positive(),
  /** How a multi-model answer is formed, when the call chose (else by strategy). */
  council: CouncilModeSchema.optional(),
  /** debate: rounds; vote: the winning choice's votes needed. */
  debateRounds: z.number().int().positive().optional(),
  quorum: z.number().int().positive().optional(),
  compareApproaches: z.boolean(),
  /** The task looked complex (progressive_deep_dive escalates). */
  complex: z.boolean(),
  thinkingMode: ThinkingModeSchema,
  /** The caller's output cap (bounded by each model's) and temperature, for every call. */
  maxOutputTokens: z.number().int().positive().optional(),
  temperature: z.number().min(0).max(2).optional(),
  maxRequestCostUsd: z.number().positive().optional(),
  key: KeyBudgetSchema.optional(),
  /** The conversation this request belongs to (its own id for a new one). */
  threadId: z.string(),
  /** The conversation existed before this request (continuation_id). */
  continued: z.boolean(),
  /** The caller's prompt, for the conversation's turn. */
  prompt: z.string(),
  /**
   * The door queues the strategy's first call (call 0), labelled in the record, right after it
   * queued the request: a single-call strategy's model starts without waiting for a driver, and the
   * driver waits for that call (queueing it itself if the door could not).
   */
  firstCallQueued: z.boolean().optional(),
});
export type DriveRequestPayload = z.infer<typeof DriveRequestPayloadSchema>;
