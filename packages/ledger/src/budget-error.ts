import { OrchestratorError } from '@orch/contracts';

export interface BudgetDetails {
  /** Which limit refused the call: the request's, the global daily one, or a caller key's budget. */
  limit: 'daily' | 'request' | 'key_daily' | 'key_monthly';
  /** The refusing budget's window: the day, the month (YYYY-MM) or the request id. */
  window: string;
  /** The caller key whose budget refused it (id and name). */
  key?: string;
  keyName?: string;
  limitUsd: number;
  spentUsd: number;
  reservedUsd: number;
  remainingUsd: number;
  /** Worst-case cost of the refused call. */
  requestedUsd: number;
  /** When the window resets (ISO 8601); not for the request limit. */
  resetsAt?: string;
  day: string;
  requestId: string;
}

const fmt = (usd: number) => `$${usd.toFixed(4)}`;

/** A call refused by the ledger. Never retried: waiting does not make a request cheaper. */
export class BudgetExceededError extends OrchestratorError {
  readonly budget: BudgetDetails;

  constructor(d: BudgetDetails) {
    const keyName = d.keyName ?? d.key;
    const which = {
      request: `per-request limit of ${fmt(d.limitUsd)}`,
      daily: `daily limit of ${fmt(d.limitUsd)} (${d.window})`,
      key_daily: `daily budget of key "${keyName}", ${fmt(d.limitUsd)} (${d.window}),`,
      key_monthly: `monthly budget of key "${keyName}", ${fmt(d.limitUsd)} (${d.window}),`,
    }[d.limit];
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
