import { OrchestratorError, type ErrorCode, type ErrorInfo } from '@orch/contracts';

/** One status per stable error code: the REST error contract. */
export const STATUS_BY_CODE: Record<ErrorCode, number> = {
  invalid_arguments: 400,
  invalid_config: 500,
  invalid_payload: 500,
  unknown_tool: 404,
  unknown_model: 400,
  not_found: 404,
  budget_exceeded: 402,
  unauthorized: 401,
  rate_limited: 429,
  payload_too_large: 413,
  provider_auth: 502,
  provider_quota: 502,
  provider_bad_request: 502,
  provider_timeout: 504,
  provider_unavailable: 502,
  provider_error: 502,
  cancelled: 409,
  unavailable: 503,
  internal: 500,
};

export const errorBody = (error: ErrorInfo) => ({ success: false as const, error });

/** What body-parser and the router say about a malformed request, by their error `type`. */
const BODY_ERRORS: Record<string, string> = {
  'entity.parse.failed': 'The body is not valid JSON',
  'charset.unsupported': 'Send the JSON body as UTF-8 (Content-Type: application/json; charset=utf-8)',
  'encoding.unsupported': 'Content-Encoding must be identity, gzip, deflate or br',
  'request.aborted': 'The request body ended early',
  'request.size.invalid': 'The body is not as long as Content-Length says',
};

/**
 * A malformed request (bad JSON, charset, encoding, URL escape, nesting) as a 4xx answer with a
 * clear code, or undefined when the error is not the client's. Never a stack trace.
 */
export function clientErrorInfo(err: Error & { type?: string; status?: number }): { status: number; error: ErrorInfo } | undefined {
  if (err.type === 'entity.too.large') return { status: 413, error: { code: 'payload_too_large', message: 'The request body is over the size limit', retryable: false } };
  // Thrown by our own checks inside body-parser's verify hook (JSON depth).
  const cause = (err as { cause?: unknown }).cause;
  if (err instanceof OrchestratorError) return { status: STATUS_BY_CODE[err.code], error: err.toInfo() };
  if (cause instanceof OrchestratorError) return { status: STATUS_BY_CODE[cause.code], error: cause.toInfo() };
  const status = typeof err.status === 'number' && err.status >= 400 && err.status < 500 ? err.status : undefined;
  if (status === undefined) return undefined;
  const known = err.type !== undefined ? BODY_ERRORS[err.type] : undefined;
  const message = known ?? (err instanceof URIError ? 'The URL holds a malformed %-escape' : 'The request is malformed');
  return { status: err.type === 'charset.unsupported' || err.type === 'encoding.unsupported' ? 415 : status === 403 ? 400 : status, error: { code: 'invalid_arguments', message, retryable: false } };
}
