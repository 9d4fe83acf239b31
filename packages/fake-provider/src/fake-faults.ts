export type FakeFlavor = 'openrouter' | 'openai';

/** Which requests a fault applies to. */
export interface FaultMatch {
  model?: string;
  stream?: boolean;
}

/**
 * A scripted failure. Faults are consumed in order by the requests they match; `times` (default 1)
 * says how many requests one fault hits.
 */
export type Fault = (
  | {
      kind: 'status';
      status: number;
      /** Provider error code (`insufficient_quota`, `unsupported_value`, …). */
      code?: string | number;
      type?: string;
      param?: string;
      message?: string;
      retryAfterSeconds?: number;
      metadata?: Record<string, unknown>;
      /** Append the key the caller presented to the message, as some providers' 401s do. */
      echoKey?: boolean;
    }
  /** Accept the request and never answer (until the client gives up). */
  | { kind: 'hang' }
  /** Stream some tokens, then go silent. */
  | { kind: 'hang_midstream'; afterTokens?: number }
  /** OpenRouter-style error inside a 200 stream: `error` object and finish_reason "error". */
  | { kind: 'midstream_error'; afterTokens?: number; code?: number | string; message?: string }
  /** A data line that is not JSON. */
  | { kind: 'malformed_chunk'; afterTokens?: number }
  /** Close the socket mid-stream. */
  | { kind: 'drop'; afterTokens?: number }
) & { match?: FaultMatch; times?: number };

export const faults = {
  rateLimited: (retryAfterSeconds = 1, extra: Partial<Fault> = {}): Fault =>
    ({ kind: 'status', status: 429, code: 'rate_limit_exceeded', type: 'requests', retryAfterSeconds, message: 'Rate limit reached', ...extra }) as Fault,
  serverError: (status = 500, extra: Partial<Fault> = {}): Fault =>
    ({ kind: 'status', status, message: status === 502 ? 'Bad gateway: upstream returned an invalid response' : 'The server had an error', ...extra }) as Fault,
  unauthorized: (extra: Partial<Fault> = {}): Fault =>
    ({ kind: 'status', status: 401, code: 'invalid_api_key', type: 'invalid_request_error', message: 'Incorrect API key provided', ...extra }) as Fault,
  outOfCredits: (extra: Partial<Fault> = {}): Fault =>
    ({
      kind: 'status',
      status: 402,
      message: 'Insufficient credits. Add more using https://openrouter.ai/credits',
      metadata: { limit_source: 'openrouter_credits' },
      ...extra,
    }) as Fault,
  insufficientQuota: (extra: Partial<Fault> = {}): Fault =>
    ({
      kind: 'status',
      status: 429,
      type: 'insufficient_quota',
      code: 'insufficient_quota',
      message: 'You exceeded your current quota, please check your plan and billing details.',
      ...extra,
    }) as Fault,
  /** o3 before organisation verification: streaming refused with a 400. */
  streamingNotAllowed: (extra: Partial<Fault> = {}): Fault =>
    ({
      kind: 'status',
      status: 400,
      type: 'invalid_request_error',
      code: 'unsupported_value',
      param: 'stream',
      message: 'Your organization must be verified to stream this model.',
      match: { stream: true },
      ...extra,
    }) as Fault,
};

/** The error body each provider sends. */
export function errorBody(flavor: FakeFlavor, f: Extract<Fault, { kind: 'status' }>): Record<string, unknown> {
  if (flavor === 'openrouter') {
    return { error: { code: f.code ?? f.status, message: f.message ?? `Error ${f.status}`, ...(f.metadata ? { metadata: f.metadata } : {}) } };
  }
  return {
    error: { message: f.message ?? `Error ${f.status}`, type: f.type ?? 'server_error', param: f.param ?? null, code: f.code ?? null },
  };
}
