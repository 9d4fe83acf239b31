import type { Spend, SpendReport } from '@orch/contracts';
import type { Ledger, LedgerReport } from '@orch/ledger';
import type { RequestStore } from './request-store';
import { isTenant } from '../callers/caller-auth';
import type { Caller } from '../callers/caller';

/** Today's spend as `caller` may see it; `callerCostLimit` lowers the per-request limit shown. */
export async function spendFor(ledger: Ledger, caller: Caller, callerCostLimit?: number): Promise<Spend> {
  const r = await ledger.report({ requests: { count: 1 } });
  if (!isTenant(caller)) return { scope: 'global', ...spendOutput(r, callerCostLimit) };
  const own = await ledger.keySpend(caller.id);
  const spent = Math.max(own.today.spentUsd, r.byKey[caller.id] ?? 0);
  const reserved = own.today.reservedUsd;
  const limit = caller.key?.daily_usd ?? r.limits.dailyUsd;
  return {
    scope: 'caller',
    day: r.day,
    time_zone: r.timeZone,
    resets_at: r.resetsAt,
    spent_usd: spent,
    reserved_usd: reserved,
    remaining_usd: Math.max(0, limit - spent - reserved),
    daily_limit_usd: limit,
    per_request_limit_usd: Math.min(r.limits.perRequestUsd, callerCostLimit ?? Infinity),
    warning: spent + reserved >= limit * r.limits.warningThreshold,
    by_model: {},
    by_provider: {},
  };
}

/**
 * GET /spend: today's spend with one page of cost by request — for a key, its own requests (newest
 * first; `cursor` is an offset into its list), each with what it has cost so far.
 */
export async function spendReportFor(deps: { ledger: Ledger; requests: RequestStore }, caller: Caller, page: { cursor?: string; limit?: number }): Promise<SpendReport> {
  if (!isTenant(caller)) return globalSpendReport(deps.ledger, page);
  const offset = Math.max(0, Number(page.cursor ?? 0) || 0);
  const limit = page.limit ?? 100;
  const [spend, records, count] = await Promise.all([spendFor(deps.ledger, caller), deps.requests.listForCaller(caller.id, limit, offset), deps.requests.countForCaller(caller.id)]);
  const costs = await Promise.all(records.map((r) => deps.ledger.requestSpend(r.requestId)));
  const byRequest = Object.fromEntries(records.map((r, i) => [r.requestId, costs[i]!.spentUsd]));
  return { ...spend, by_request: byRequest, by_request_cursor: offset + limit < count ? String(offset + limit) : '0', request_count: count };
}

/** Every caller's spend and requests (keyless doors, and the admin API). */
export async function globalSpendReport(ledger: Ledger, page: { cursor?: string; limit?: number }): Promise<SpendReport> {
  const r = await ledger.report({ requests: { cursor: page.cursor, count: page.limit } });
  return { scope: 'global', ...spendOutput(r), by_request: r.byRequest, by_request_cursor: r.byRequestCursor, request_count: r.requestCount };
}

/** A ledger report as the tools and REST show it; a caller's cost limit lowers the per-request one. */
export function spendOutput(r: LedgerReport, callerCostLimit?: number): Spend {
  return {
    day: r.day,
    time_zone: r.timeZone,
    resets_at: r.resetsAt,
    spent_usd: r.spentUsd,
    reserved_usd: r.reservedUsd,
    remaining_usd: r.remainingUsd,
    daily_limit_usd: r.limits.dailyUsd,
    per_request_limit_usd: Math.min(r.limits.perRequestUsd, callerCostLimit ?? Infinity),
    warning: r.warning,
    by_model: r.byModel,
    by_provider: r.byProvider,
  };
}
