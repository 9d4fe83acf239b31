import type { ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { STATUS_CODES } from 'node:http';
import { toErrorInfo, type ErrorCode, type ErrorInfo } from '@orch/contracts';
import type { Logger } from '@orch/logging';

/**
 * How every front door answers an error over HTTP: one status per stable error code, one envelope
 * per protocol. REST and the WebSocket bridge's HTTP side answer `{success: false, error}`; the MCP
 * gateway answers a JSON-RPC error whose `data` is the same ErrorInfo. A wait named by a rate limit
 * or an outage is sent as Retry-After too.
 */

/** One status per stable error code: the doors' error contract (and the OpenAPI document's). */
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

const errorBody = (error: ErrorInfo) => ({ success: false as const, error });

/** Retry-After, when a rate limit or an outage names its wait. */
function retryAfter(info: ErrorInfo): Record<string, string> {
  const seconds = info.details?.retry_after_seconds;
  return (info.code === 'rate_limited' || info.code === 'unavailable') && typeof seconds === 'number' ? { 'Retry-After': String(seconds) } : {};
}

/**
 * Answers `info` as JSON: `{success: false, error}` with `extra` beside it (the tool, a partial
 * result), at its code's status unless `status` says otherwise (415, 426: statuses no code has).
 */
export function writeError(res: ServerResponse, info: ErrorInfo, opts: { extra?: Record<string, unknown>; status?: number } = {}): void {
  writeJson(res, opts.status ?? STATUS_BY_CODE[info.code], { ...errorBody(info), ...opts.extra }, retryAfter(info));
}

/** The answer of anything a handler threw: its code's answer, or `internal` (logged, never its stack). */
export function writeFailure(res: ServerResponse, err: unknown, logger: Logger): void {
  const info = toErrorInfo(err);
  if (info.code === 'internal') logger.error('request failed', { err: (err as Error)?.stack ?? String(err) });
  writeError(res, info);
}

/** JSON-RPC's code for one of ours: -32001 unauthorized (as MCP servers answer it), -32603 internal, -32000 the rest. */
const rpcCodeOf = (code: ErrorCode) => (code === 'unauthorized' ? -32001 : code === 'internal' ? -32603 : -32000);

/**
 * A JSON-RPC error at the HTTP status of its code (MCP over Streamable HTTP): `error.data` is the
 * ErrorInfo (code, retryable, details), `rpc` a JSON-RPC code of its own (-32700 parse, -32600
 * invalid request) where one fits better.
 */
export function writeRpcError(res: ServerResponse, info: ErrorInfo, opts: { rpc?: number; status?: number } = {}): void {
  writeJson(res, opts.status ?? STATUS_BY_CODE[info.code], { jsonrpc: '2.0', error: { code: opts.rpc ?? rpcCodeOf(info.code), message: info.message, data: info }, id: null }, retryAfter(info));
}

/** Refuses a WebSocket upgrade with a plain HTTP answer on its socket (no socket is opened). */
export function refuseUpgrade(socket: Duplex, info: ErrorInfo): void {
  const status = STATUS_BY_CODE[info.code];
  const body = JSON.stringify(errorBody(info));
  const headers = { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(body)), Connection: 'close', ...retryAfter(info) };
  socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\n${Object.entries(headers).map(([k, v]) => `${k}: ${v}`).join('\r\n')}\r\n\r\n${body}`);
}

/** A JSON answer with its length, and nosniff (every door's JSON, errors or not). */
export function writeJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': String(Buffer.byteLength(text)), 'X-Content-Type-Options': 'nosniff', ...headers });
  res.end(text);
}
