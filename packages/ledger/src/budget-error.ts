import { OrchestratorError } from '@orch/contracts';

export interface BudgetDetails {
  /** Which limit refused the call. */
  limit: 'daily' | 'request';
  limitUsd: number;
  spentUsd: number;
  reservedUsd: number;
  remainingUsd: number;
  /** Worst-case cost of the refused call. */
  requestedUsd: number;
  /** When the daily window resets (ISO 8601), for the daily limit. */
  resetsAt?: string;
  day: string;
  requestId: string;
}

const fmt = (usd: number) => `$${usd.toFixed(4)}`;

/** A call refused by the ledger. Never retried: waiting does not make a request cheaper. */
export class BudgetExceededError extends OrchestratorError {
  readonly budget: BudgetDetails;

  constructor(d: BudgetDetails) {
    const which = d.limit === 'daily' ? `daily limit of ${fmt(d.limitUsd)} (${d.day})` : `per-request limit of ${fmt(d.limitUsd)}`;
    super(
      'budget_exceeded',
      `Budget exceeded: this call may cost up to ${fmt(d.requestedUsd)}, but the ${which} has ${fmt(d.remainingUsd)} left ` +
        `(${fmt(d.spentUsd)} spent, ${fmt(d.reservedUsd)} reserved by calls in flight)` +
        (d.resetsAt ? `; it resets at ${d.resetsAt}` : ''),
      { retryable: false, details: { ...d } },
    );
    this.name = 'BudgetExceededError';
    this.budget = d;
  }
}
