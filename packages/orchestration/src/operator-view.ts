import type { Queue } from 'bullmq';
import type { SpendReport } from '@orch/contracts';
import type { Ledger, LedgerReport, SpendTotals } from '@orch/ledger';
import type { ProviderQueues } from '@orch/queue';
import type { ApiKeys } from './callers/api-keys';
import { globalSpendReport } from './requests/caller-spend';
import type { RequestRecord, RequestStore } from './requests/request-store';

/**
 * What the operators' pages read and change (the REST bridge's admin API and dashboard, each door's
 * metrics): spend, keys, queues, request records — asked of the orchestrator, so no door holds the
 * ledger, the key store or the queues themselves.
 */
export interface OperatorView {
  /** Every caller's spend today, one page of it by request. */
  spend(page: { cursor?: string; limit?: number }): Promise<SpendReport>;
  /** Today's ledger report with the `latest` requests. */
  today(latest?: number): Promise<LedgerReport>;
  /** Spend booked per day, oldest first. */
  history(days: number): Promise<Array<{ day: string; spentUsd: number }>>;
  /** A caller key's spend today and this month. */
  keySpend(keyId: string): Promise<{ day: string; month: string; today: SpendTotals; thisMonth: SpendTotals }>;
  /** The managed caller keys (the key store's admin operations; never its authentication). */
  keys: Pick<ApiKeys, 'list' | 'get' | 'create' | 'update' | 'rotate' | 'revoke'>;
  /** Every queue by name: each provider's model calls, and `requests` (the request drivers). */
  queues(): Record<string, Queue>;
  /** A request's record, whoever's it is. */
  request(requestId: string): Promise<RequestRecord | undefined>;
}

export function operatorView(s: { ledger: Ledger; keys: ApiKeys; queues: ProviderQueues; requestQueue: Queue; requests: RequestStore }): OperatorView {
  const { ledger, keys } = s;
  return {
    spend: (page) => globalSpendReport(ledger, page),
    today: (latest = 1) => ledger.report({ requests: { count: latest } }),
    history: (days) => ledger.history(days),
    keySpend: (keyId) => ledger.keySpend(keyId),
    keys,
    queues: () => ({ ...s.queues.byKey, requests: s.requestQueue }) as Record<string, Queue>,
    request: (requestId) => s.requests.get(requestId),
  };
}
