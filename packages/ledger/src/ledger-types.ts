// What the Ledger (ledger.ts) takes and answers.
import type { ReplicaWait } from './replicas';
import type { RedisClient } from './scripts';

export interface LedgerLimits {
  /** USD all model calls of one request may spend, retries included. */
  maxCostPerRequest: number;
  /** USD all requests may spend per day. */
  dailyLimit: number;
  /** Fraction of the daily limit that raises a warning. */
  warningThreshold: number;
  timeZone: string;
}

export interface LedgerOptions {
  redis: RedisClient;
  limits: LedgerLimits;
  /** Key prefix with its hash tag; all ledger keys share it (Redis Cluster). */
  keyPrefix?: string;
  /** A reservation not extended or settled within this time is returned to the budget. */
  leaseMs?: number;
  now?: () => number;
  /**
   * How long spend records are kept after their last write, in seconds. Day totals (by model and
   * provider too) are small and lasting (400 days by default); per-request totals and the day's
   * by-request figures grow with traffic, so they are kept as long as request records (1 day).
   */
  retention?: { daySeconds?: number; requestSeconds?: number };
  /** Called once per day when spend passes the warning threshold. */
  onWarning?: (report: { day: string; spentUsd: number; reservedUsd: number; limitUsd: number }) => void;
  /** Fractions of a budget (0.5, 0.8, 1) at which `onAlert` is called, once per window across every process. */
  alertThresholds?: readonly number[];
  onAlert?: (alert: BudgetAlert) => void;
  /**
   * Replicas a fresh reservation waits for before `reserve` resolves (the provider is asked only
   * then): a failover that promotes a replica keeps it, so the call is booked — settled, or reaped
   * at its worst case if the settle was lost — and booked stays >= billed.
   */
  replicas?: ReplicaWait;
}

export interface ReserveInput {
  jobId: string;
  attempt: number;
  /** A rerun of the same attempt after its worker died (a new provider call): its own reservation. */
  run?: number;
  requestId: string;
  model: string;
  provider: string;
  /** Worst-case cost of the attempt. */
  estimateUsd: number;
  /** A lower per-request limit set by the caller; never raises the operator's. */
  maxRequestCostUsd?: number;
  /** The caller's key: its spend is kept per day and month, and bounded by its budgets if it has any. */
  key?: KeyBudget;
}

/** A caller key's budgets (USD); a window without one is only counted. */
export interface KeyBudget {
  id: string;
  /** For messages and alerts. */
  name?: string;
  dailyUsd?: number;
  monthlyUsd?: number;
}

export interface Reservation {
  jobId: string;
  attempt: number;
  requestId: string;
  model: string;
  provider: string;
  day: string;
  member: string;
  /** The caller key whose windows hold this reservation. */
  keyId: string;
  reservedUsd: number;
  /** False when this attempt had already reserved (a redelivered job). */
  fresh: boolean;
}

/** A budget crossed a threshold (spent + reserved, or a call was refused by it: 100%). */
export interface BudgetAlert {
  /** `daily` (the global limit), or a caller key's `key_daily` / `key_monthly` budget. */
  budget: BudgetName;
  /** The key's id and name, for a key's budget. */
  key?: string;
  keyName?: string;
  /** The window: the day (YYYY-MM-DD in the limit's time zone) or the month (YYYY-MM). */
  window: string;
  /** The threshold crossed, in percent (50, 80, 100). */
  percent: number;
  spentUsd: number;
  reservedUsd: number;
  limitUsd: number;
  resetsAt: string;
}

export interface SpendTotals {
  spentUsd: number;
  reservedUsd: number;
}

export interface LedgerReport extends SpendTotals {
  day: string;
  timeZone: string;
  resetsAt: string;
  limits: { dailyUsd: number; perRequestUsd: number; warningThreshold: number };
  remainingUsd: number;
  /** Spent + reserved has passed the warning threshold. */
  warning: boolean;
  calls: number;
  overshootUsd: number;
  overshootCalls: number;
  reaped: number;
  /** Spend booked at a reservation because its outcome stayed unknown (a late settle corrects it). */
  estimatedUsd: number;
  byModel: Record<string, number>;
  byProvider: Record<string, number>;
  /** Spend by caller key id (`local`, `key:<digest>` for a static key, the record's id for a managed one). */
  byKey: Record<string, number>;
  /** One page of the day's spend by request, newest first, at most `requests.count` entries. */
  byRequest: Record<string, number>;
  /** Pass as `requests.cursor` for the next page; `0` when this was the last. */
  byRequestCursor: string;
  /** Requests with spend recorded this day within the request retention. */
  requestCount: number;
}

export type BudgetName = 'daily' | 'key_daily' | 'key_monthly';
