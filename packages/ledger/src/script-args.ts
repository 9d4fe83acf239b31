/**
 * The argument lists of the ledger's scripts, built by name in the order each script's header lists
 * its KEYS and ARGV (lua/reserve-6.lua, lua/settle-10.lua): the one place that order is written in
 * TypeScript, beside the scripts it feeds.
 */

/** The keys of one attempt's windows, as the ledger lays them out (keys.ts). */
export interface AttemptKeys {
  day: string;
  req: string;
  res: string;
  leases: string;
  keyDay: string;
  keyMonth: string;
  dayModels: string;
  dayProviders: string;
  dayRequests: string;
  dayKeys: string;
}

export interface ReserveArgs {
  /** Nano-USD. */
  estimate: number;
  dailyLimit: number;
  requestLimit: number;
  leaseEnd: number;
  member: string;
  requestId: string;
  day: string;
  model: string;
  provider: string;
  requestTtl: number;
  reservationTtl: number;
  dayTtl: number;
  /** Nano-USD; -1: no budget. */
  keyDailyBudget: number;
  keyMonthlyBudget: number;
  keyId: string;
}

/** reserve-6.lua: KEYS day, request, reservation, leases, key's day, key's month; then ARGV[1..15]. */
export function reserveArgs(k: AttemptKeys, a: ReserveArgs): Array<string | number> {
  return [
    k.day, k.req, k.res, k.leases, k.keyDay, k.keyMonth,
    a.estimate, a.dailyLimit, a.requestLimit, a.leaseEnd, a.member, a.requestId, a.day, a.model, a.provider,
    a.requestTtl, a.reservationTtl, a.dayTtl, a.keyDailyBudget, a.keyMonthlyBudget, a.keyId,
  ];
}

export interface SettleArgs {
  /** Nano-USD; 0 for a release. */
  actual: number;
  member: string;
  model: string;
  provider: string;
  requestId: string;
  dayTtl: number;
  requestTtl: number;
  kind: 'settled' | 'released';
  now: number;
  keyId: string;
}

/** settle-10.lua: KEYS reservation, day, request, leases, by-model, by-provider, requests index, key's day, key's month, by-key; then ARGV[1..10]. */
export function settleArgs(k: AttemptKeys, a: SettleArgs): Array<string | number> {
  return [
    k.res, k.day, k.req, k.leases, k.dayModels, k.dayProviders, k.dayRequests, k.keyDay, k.keyMonth, k.dayKeys,
    a.actual, a.member, a.model, a.provider, a.requestId, a.dayTtl, a.requestTtl, a.kind, a.now, a.keyId,
  ];
}
