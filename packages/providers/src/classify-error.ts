import { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from 'openai';
import { ProviderError } from './provider-error';

type HeaderBag = { get(name: string): string | null } | Record<string, string | string[] | undefined> | undefined;

function header(headers: HeaderBag, name: string): string | undefined {
  if (!headers) return undefined;
  if (typeof (headers as { get?: unknown }).get === 'function') return (headers as { get(n: string): string | null }).get(name) ?? undefined;
  const v = (headers as Record<string, string | string[] | undefined>)[name];
  return Array.isArray(v) ? v[0] : v;
}

/** Retry-After in ms from `retry-after-ms`, `retry-after` seconds, or an HTTP date. */
export function parseRetryAfter(headers: HeaderBag, now = Date.now()): number | undefined {
  const ms = Number(header(headers, 'retry-after-ms'));
  if (Number.isFinite(ms) && ms >= 0 && header(headers, 'retry-after-ms') !== undefined) return ms;
  const raw = header(headers, 'retry-after');
  if (raw === undefined) return undefined;
  const secs = Number(raw);
  if (Number.isFinite(secs) && secs >= 0) return Math.round(secs * 1000);
  const date = Date.parse(raw);
  return Number.isFinite(date) ? Math.max(0, date - now) : undefined;
}

interface ProviderBody {
  code?: unknown;
  type?: unknown;
  message?: unknown;
  param?: unknown;
  metadata?: { limit_source?: unknown; reason?: unknown; raw?: unknown };
}

/**
 * The HTTP status a provider's error code stands for. Errors sent inside a 200 stream (OpenRouter
 * does this) carry no status, only a code: a number, a number as a string ("401"), or a name.
 */
const STATUS_OF_CODE: Record<string, number> = {
  invalid_api_key: 401,
  authentication_error: 401,
  unauthorized: 401,
  permission_denied: 403,
  permission_error: 403,
  forbidden: 403,
  insufficient_quota: 429,
  rate_limit_exceeded: 429,
  rate_limit_error: 429,
  rate_limited: 429,
  too_many_requests: 429,
  payment_required: 402,
  insufficient_credits: 402,
  invalid_request_error: 400,
  bad_request: 400,
  context_length_exceeded: 400,
  unsupported_parameter: 400,
  unsupported_value: 400,
  model_not_found: 404,
  not_found: 404,
  not_found_error: 404,
  request_timeout: 408,
  timeout: 408,
  server_error: 500,
  internal_error: 500,
  api_error: 500,
  overloaded: 503,
  overloaded_error: 503,
  service_unavailable: 503,
};

function statusOfCode(code: unknown): number | undefined {
  if (typeof code === 'number' && Number.isInteger(code) && code >= 400 && code < 600) return code;
  if (typeof code !== 'string') return undefined;
  if (/^[45]\d\d$/.test(code)) return Number(code);
  return Object.hasOwn(STATUS_OF_CODE, code.toLowerCase()) ? STATUS_OF_CODE[code.toLowerCase()] : undefined;
}

/**
 * Where the failure happened: before the response, in a stream that had sent no text yet, or in a
 * stream whose text had begun (`content`).
 */
export type FailurePhase = 'request' | 'stream' | 'content';

/** Statuses that mean the provider refused the call rather than ran it. */
const REFUSALS = new Set([401, 402, 403, 429]);

/**
 * Maps anything the SDK (or the network) throws to a ProviderError with a stable code and a
 * retry decision. Permanent: 401/403, 400/404/422, 402 (except OpenRouter's transient in-flight
 * budget), 429 `insufficient_quota`. Retryable: 429, 408, 409, 5xx, timeouts, connection errors,
 * broken streams.
 */
export function classifyProviderError(err: unknown, phase: FailurePhase = 'request'): ProviderError {
  if (err instanceof ProviderError) return err;
  if (err instanceof APIUserAbortError) {
    return new ProviderError('cancelled', 'The provider call was aborted', { retryable: false, billing: 'unknown', cause: err });
  }
  if (err instanceof APIConnectionTimeoutError) {
    return new ProviderError('provider_timeout', 'The provider did not answer in time', { retryable: true, billing: 'unknown', cause: err });
  }
  if (err instanceof APIConnectionError) {
    return new ProviderError('provider_unavailable', `Could not reach the provider: ${err.message}`, { retryable: true, billing: 'unknown', cause: err });
  }
  if (err instanceof APIError) {
    const body = (err.error ?? {}) as ProviderBody;
    // Mid-stream errors (OpenRouter sends them inside a 200) have no HTTP status; their code is one.
    const status = err.status ?? statusOfCode(body.code) ?? statusOfCode(body.type);
    const providerCode = typeof body.code === 'string' && !/^\d+$/.test(body.code) ? body.code : typeof body.type === 'string' ? body.type : undefined;
    const message = typeof body.message === 'string' ? body.message : err.message;
    const retryAfterMs = parseRetryAfter(err.headers as HeaderBag);
    // Billed only if the model may have run: a status before any stream, or a refusal sent in a
    // stream before its first token, is not billed; anything else in a stream may have been.
    const refused = status !== undefined && REFUSALS.has(status) && phase !== 'content';
    const billing = (err.status !== undefined && phase === 'request') || refused ? 'none' : 'unknown';
    const base = { status, providerCode, billing, cause: err } as const;
    const limitSource = body.metadata?.limit_source;
    const quotaCode = body.code === 'insufficient_quota' || body.type === 'insufficient_quota';

    if (status === 429 && quotaCode) {
      return new ProviderError('provider_quota', `Provider quota exhausted: ${message}`, { ...base, retryable: false });
    }
    if (status === 429) {
      return new ProviderError('rate_limited', `Provider rate limit: ${message}`, { ...base, retryable: true, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) });
    }
    if (status === 402) {
      const transient = limitSource === 'openrouter_in_flight_budget' && body.metadata?.reason !== 'weight_exceeds_budget';
      return transient
        ? new ProviderError('rate_limited', `Provider in-flight budget busy: ${message}`, { ...base, retryable: true, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) })
        : new ProviderError('provider_quota', `Provider account out of credits: ${message}`, { ...base, retryable: false });
    }
    if (status === 401 || status === 403) {
      return typeof limitSource === 'string'
        ? new ProviderError('provider_quota', `Provider budget limit: ${message}`, { ...base, retryable: false })
        : new ProviderError('provider_auth', `Provider rejected the credentials: ${message}`, { ...base, retryable: false });
    }
    if (status === 400 || status === 404 || status === 413 || status === 422) {
      return new ProviderError('provider_bad_request', `Provider rejected the request: ${message}`, { ...base, retryable: false });
    }
    if (status === 408) return new ProviderError('provider_timeout', `Provider timed out: ${message}`, { ...base, retryable: true });
    if (status !== undefined && status >= 500) {
      return new ProviderError('provider_unavailable', `Provider error ${status}: ${message}`, { ...base, retryable: true, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) });
    }
    return new ProviderError('provider_error', `Provider error: ${message}`, { ...base, retryable: true });
  }
  if (err instanceof SyntaxError) {
    return new ProviderError('provider_error', 'The provider sent a malformed stream chunk', { retryable: true, billing: 'unknown', cause: err });
  }
  // undici reports a socket closed mid-body as TypeError('terminated').
  const msg = err instanceof Error ? err.message : String(err);
  return new ProviderError('provider_unavailable', `Provider connection failed${phase === 'request' ? '' : ' mid-stream'}: ${msg}`, {
    retryable: true,
    billing: 'unknown',
    cause: err,
  });
}
