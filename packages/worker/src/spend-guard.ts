import type { ModelCallPayload, Usage } from '@orch/contracts';
import type { ResolvedModel } from '@orch/config';
import type { BillingState } from '@orch/providers';

/** One model call attempt, as the spend ledger sees it. */
export interface SpendCall {
  jobId: string;
  /** 1-based; reservations are keyed by job id + attempt (+ run). */
  attempt: number;
  /**
   * How often this attempt was started again after its worker died (BullMQ's stalled counter). A
   * rerun is a new provider call, billed again: it gets a reservation of its own.
   */
  run?: number;
  requestId: string;
  model: ResolvedModel;
  payload: ModelCallPayload;
}

export interface SpendReservation {
  call: SpendCall;
  /** Worst-case USD reserved before the call. */
  reservedUsd: number;
}

/**
 * The seam where the ledger plugs into the worker: reserve the worst case before the provider is
 * called, settle the actual cost after, release when nothing was billed. `reserve` throws a
 * `budget_exceeded` OrchestratorError to refuse a call (the worker fails it without retry).
 */
export interface SpendGuard {
  reserve(call: SpendCall): Promise<SpendReservation>;
  settle(reservation: SpendReservation, actual: { costUsd: number; usage: Usage; generationId?: string }): Promise<void>;
  /**
   * The call failed. `billing: 'none'` returns the reservation now; `'unknown'` (timeout, abort,
   * lost stream) may keep it until the real cost is known or its lease ends.
   */
  release(reservation: SpendReservation, outcome: { billing: BillingState; generationId?: string | undefined }): Promise<void>;
}
