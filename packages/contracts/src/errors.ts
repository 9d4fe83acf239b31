import { z } from 'zod';

/**
 * Stable error codes. Every error that crosses a process boundary (job result, event, front-door
 * reply) carries one of these. Never rename a code: clients branch on them.
 */
export const ERROR_CODES = {
  invalid_arguments: 'A request field is missing or breaks a rule; `details` names the fields.',
  invalid_config: 'A configuration value is invalid; the process refuses to start.',
  invalid_payload: 'A queued job payload does not match its schema (a producer/worker version mismatch).',
  unknown_tool: 'No tool has that name.',
  unknown_model: 'No configured model has that key.',
  not_found: 'No request, job or thread has that id (or it has expired).',
  budget_exceeded: "The call would break the per-request or daily spend limit, or its key's daily or monthly budget.",
  approval_required: "The call may cost more than the caller's approval threshold: it runs once the caller approves it (MCP asks), or after the threshold is raised.",
  unauthorized: 'The caller gave no API key or a wrong one.',
  forbidden: "The caller's key may not do this (a model outside its allow-list).",
  rate_limited: 'Too many calls: the caller, or the provider, asked us to slow down.',
  payload_too_large: 'The request body, a file or a model answer is over its size limit.',
  provider_auth: 'The provider rejected our API key (401/403).',
  provider_quota: 'The provider account is out of credits or quota (402, insufficient_quota).',
  provider_bad_request: 'The provider rejected the request as invalid (400/404/422).',
  provider_timeout: 'The provider did not answer within the time limit.',
  provider_unavailable: 'The provider failed or could not be reached (5xx, connection error).',
  provider_error: 'The provider reported an error that fits no other code.',
  cancelled: 'The request was cancelled by its caller.',
  unavailable: 'The service cannot use its Redis right now (unreachable, full, read-only or shutting down; the message says which); retry after `details.retry_after_seconds`.',
  internal: 'An unexpected failure; details are in the server log only.',
} as const;

export const ErrorCodeSchema = z.enum(Object.keys(ERROR_CODES) as [keyof typeof ERROR_CODES, ...(keyof typeof ERROR_CODES)[]]);
export type ErrorCode = z.infer<typeof ErrorCodeSchema>;

/** The one error shape every boundary uses (job failure, event, REST body, WS reply). */
export const ErrorInfoSchema = z.object({
  code: ErrorCodeSchema,
  message: z.string(),
  /** True when the same call may succeed later (the worker retries these itself). */
  retryable: z.boolean().default(false),
  /** HTTP status from the provider, when there was one. */
  status: z.number().int().optional(),
  /** The provider's own error code (`insufficient_quota`, `unsupported_parameter`, …). */
  providerCode: z.string().optional(),
  details: z.record(z.string(), z.unknown()).optional(),
});
export type ErrorInfo = z.infer<typeof ErrorInfoSchema>;

/** Base class for errors with a stable code. Subclasses add typed fields. */
export class OrchestratorError extends Error {
  readonly code: ErrorCode;
  readonly retryable: boolean;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, opts: { retryable?: boolean; details?: Record<string, unknown>; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'OrchestratorError';
    this.code = code;
    this.retryable = opts.retryable ?? false;
    this.details = opts.details;
  }

  toInfo(): ErrorInfo {
    return {
      code: this.code,
      message: this.message,
      retryable: this.retryable,
      ...(this.details ? { details: this.details } : {}),
    };
  }
}

/**
 * ioredis's errors when Redis cannot be reached (retries used up, connection closed, offline queue
 * off). Recognised by name and text so that contracts need not import ioredis.
 */
function isRedisUnreachable(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  return err.name === 'MaxRetriesPerRequestError' || /^Connection is closed|enableOfflineQueue|ECONNREFUSED|Redis is unreachable|Failed to refresh slots cache|None of startup nodes is available|Cluster isn't ready|All sentinels are unreachable/.test(err.message);
}

/**
 * Redis answering but refusing the command: full (`maxmemory` with `noeviction`), a read-only
 * replica or a failover, a failed disk save (`MISCONF`), still loading its data. Each is a truthful,
 * retryable `unavailable` — never an `internal` error, and never "cannot reach" when it can.
 */
const REDIS_REFUSALS: ReadonlyArray<readonly [RegExp, string, number]> = [
  [/\bOOM command not allowed/, 'Redis is full (maxmemory reached) and refuses new work; retry later (operators: raise maxmemory or lower ORCH_RESULT_RETENTION_SECONDS)', 10],
  [/\bREADONLY\b/, 'Redis is read-only right now (a replica, or a failover in progress); retry shortly', 2],
  [/\bMISCONF\b/, 'Redis refuses writes because it cannot save to disk (MISCONF); retry later (operators: check its disk)', 10],
  [/\bLOADING\b/, 'Redis is loading its data after a restart; retry shortly', 2],
  // ioredis gives up on a slot after its redirections ('Too many Cluster redirections. Last error: CLUSTERDOWN…').
  [/^(CLUSTERDOWN|TRYAGAIN|MOVED|ASK)\b|^Too many Cluster redirections/, 'The Redis Cluster is moving slots (a failover in progress); retry shortly', 2],
];

/** The `unavailable` answer for a command Redis refused, or undefined when it is no such refusal. */
export function redisRefusal(err: unknown): ErrorInfo | undefined {
  if (!(err instanceof Error)) return undefined;
  // A refused MULTI fails as EXECABORT; ioredis keeps the refusals that caused it.
  const causes = [err, ...((err as { previousErrors?: unknown[] }).previousErrors ?? [])];
  for (const [pattern, message, retryAfter] of REDIS_REFUSALS) {
    if (causes.some((e) => e instanceof Error && pattern.test(e.message))) return { code: 'unavailable', message, retryable: true, details: { retry_after_seconds: retryAfter } };
  }
  return undefined;
}

/** Redis unreachable or refusing: the truthful `unavailable` answer; undefined for any other error. */
export function redisTrouble(err: unknown): ErrorInfo | undefined {
  return isRedisUnreachable(err) ? UNAVAILABLE : redisRefusal(err);
}

/** The answer while Redis is away: retryable at once, with a hint of when to come back. */
export const UNAVAILABLE: ErrorInfo = {
  code: 'unavailable',
  message: 'The service cannot reach its Redis right now; retry shortly',
  retryable: true,
  details: { retry_after_seconds: 2 },
};

/** Turns anything thrown into an ErrorInfo without leaking stacks or unknown internals. */
/**
 * How a model call's final failure is written into BullMQ's `failedReason` (`code: message`) and
 * read back by the request's driver: the one owner of that format.
 */
export function failureReason(e: { code: ErrorCode; message: string }): string {
  return `${e.code}: ${e.message}`;
}

/** The error a `failedReason` written by `failureReason` stands for (anything else: provider_error). */
export function errorFromFailureReason(reason: string | undefined): ErrorInfo {
  const m = /^([a-z_]+): ([\s\S]*)$/.exec(reason ?? '');
  const code = ErrorCodeSchema.safeParse(m?.[1]);
  if (m && code.success) return { code: code.data, message: m[2]!, retryable: false };
  return { code: 'provider_error', message: reason || 'The model call failed', retryable: false };
}

export function toErrorInfo(err: unknown): ErrorInfo {
  if (err instanceof OrchestratorError) return err.toInfo();
  const redis = redisTrouble(err);
  if (redis) return redis;
  if (err && typeof err === 'object' && 'code' in err && typeof (err as { code: unknown }).code === 'string') {
    const parsed = ErrorCodeSchema.safeParse((err as { code: string }).code);
    if (parsed.success) {
      const e = err as { message?: unknown; retryable?: unknown; details?: unknown };
      const details = e.details && typeof e.details === 'object' && !Array.isArray(e.details) ? (e.details as Record<string, unknown>) : undefined;
      return {
        code: parsed.data,
        message: typeof e.message === 'string' ? e.message : parsed.data,
        retryable: e.retryable === true,
        ...(details ? { details } : {}),
      };
    }
  }
  return { code: 'internal', message: 'Internal error', retryable: false };
}
