import { OrchestratorError, type ErrorCode, type ErrorInfo } from '@orch/contracts';

/**
 * Whether the provider may have billed a failed call. `none`: refused before any work (4xx/5xx
 * status before a stream). `unknown`: timeouts, aborts, lost or broken streams — the ledger keeps
 * such a reservation until the cost is known (provider-apis.md §7, "Failures").
 */
export type BillingState = 'none' | 'unknown';

export class ProviderError extends OrchestratorError {
  readonly status: number | undefined;
  readonly providerCode: string | undefined;
  /** From Retry-After / retry-after-ms, when the provider sent one. */
  readonly retryAfterMs: number | undefined;
  readonly billing: BillingState;
  /** Provider generation id, when the call got far enough to have one (OpenRouter `gen-…`). */
  generationId: string | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    opts: {
      retryable: boolean;
      status?: number;
      providerCode?: string;
      retryAfterMs?: number;
      billing?: BillingState;
      cause?: unknown;
    },
  ) {
    super(code, message, { retryable: opts.retryable, cause: opts.cause });
    this.name = 'ProviderError';
    this.status = opts.status;
    this.providerCode = opts.providerCode;
    this.retryAfterMs = opts.retryAfterMs;
    this.billing = opts.billing ?? 'unknown';
  }

  override toInfo(): ErrorInfo {
    return {
      code: this.code,
      message: this.message,
      retryable: this.retryable,
      ...(this.status !== undefined ? { status: this.status } : {}),
      ...(this.providerCode !== undefined ? { providerCode: this.providerCode } : {}),
      ...(this.retryAfterMs !== undefined ? { details: { retryAfterMs: this.retryAfterMs } } : {}),
    };
  }
}
