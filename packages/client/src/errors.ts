import type { ErrorInfo, JobResultOutput } from '@orch/contracts';

/**
 * A failed call, from either bridge: the server's stable `code` (`invalid_arguments`,
 * `rate_limited`, `budget_exceeded`, …) or a client-side one (`connection_lost`, `timeout`).
 */
export class OrchestratorClientError extends Error {
  readonly code: string;
  readonly retryable: boolean;
  readonly details: Record<string, unknown> | undefined;
  /** HTTP status (REST) when there was one. */
  readonly status: number | undefined;
  readonly requestId: string | undefined;
  /** The tool output that came with the error (e.g. a request that failed), if any. */
  readonly result: unknown;

  constructor(info: ErrorInfo | { code: string; message: string; retryable?: boolean; details?: Record<string, unknown> }, extra: { status?: number; requestId?: string; result?: unknown } = {}) {
    super(info.message);
    this.name = 'OrchestratorClientError';
    this.code = info.code;
    this.retryable = info.retryable ?? false;
    this.details = info.details;
    this.status = extra.status;
    this.requestId = extra.requestId;
    this.result = extra.result;
  }
}

/** The tool output of a request that has ended; throws its error when it did not complete. */
export function outputOf(record: JobResultOutput): unknown {
  if (record.status === 'completed' && record.output) return record.output;
  throw new OrchestratorClientError(record.error ?? { code: 'internal', message: `request ended as ${record.status}` }, { requestId: record.request_id, result: record.output });
}
