import type { Response } from 'express';
import { toErrorInfo, type ErrorCode, type ErrorInfo } from '@orch/contracts';
import type { Logger } from '@orch/logging';

/** One status per stable error code: the REST error contract. */
export const STATUS_BY_CODE: Record<ErrorCode, number> = {
  invalid_arguments: 400,
  invalid_config: 500,
  invalid_payload: 500,
  unknown_tool: 404,
  unknown_model: 400,
  not_found: 404,
  budget_exceeded: 402,
  approval_required: 402,
  unauthorized: 401,
  forbidden: 403,
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

/**
 * The one way the REST bridge answers an error: the status of its code (the table above), Retry-After
 * when a rate limit or an outage names the wait, and the `{success: false, error}` envelope (with
 * `extra` beside it: the tool, a partial result).
 */
export function sendError(res: Response, info: ErrorInfo, extra: Record<string, unknown> = {}): void {
  const retryAfter = info.details?.retry_after_seconds;
  if ((info.code === 'rate_limited' || info.code === 'unavailable') && typeof retryAfter === 'number') res.setHeader('Retry-After', String(retryAfter));
  res.status(STATUS_BY_CODE[info.code]).json({ ...errorBody(info), ...extra });
}

/** The error answer of whatever a route threw: its code's answer, or `internal` (logged, never its stack). */
export function sendFailure(res: Response, err: unknown, logger: Logger): void {
  const info = toErrorInfo(err);
  if (info.code === 'internal') logger.error('request failed', { err: (err as Error)?.stack ?? String(err) });
  sendError(res, info);
}
