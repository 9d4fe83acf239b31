/**
 * The ledger's Redis keys: the one place their layout is written. Every key starts with the
 * configured prefix (a hash tag, `{ledger}` by default), so all of them sit in one Redis Cluster
 * slot and one Lua script may touch any of them. reap-1.lua derives keys from a reservation's
 * fields; it is given this layout's parts (`reapLayout`) rather than spelling them itself.
 */
export function ledgerKeys(keyPrefix: string) {
  const p = `${keyPrefix}:`;
  const day = (d: string) => `${p}day:${d}`;
  return {
    /** Day totals hash: spent, reserved, estimated, reaped (nano-USD). */
    day,
    dayModels: (d: string) => `${day(d)}${DAY_SUFFIX.models}`,
    dayProviders: (d: string) => `${day(d)}${DAY_SUFFIX.providers}`,
    /** Sorted set: the day's requests with spend, by time of their last spend (trimmed to the request retention). */
    dayRequests: (d: string) => `${day(d)}${DAY_SUFFIX.requests}`,
    /** The day's spend by caller key (key id → nano-USD). */
    dayKeys: (d: string) => `${day(d)}${DAY_SUFFIX.keys}`,
    /** A caller key's spend in one window (`day` YYYY-MM-DD or `month` YYYY-MM): spent, reserved. */
    keyWindow: (keyId: string, window: 'day' | 'month', period: string) => `${p}key:${keyId}:${window}:${period}`,
    /** Per-request totals; also holds the `done:<member>` markers of its finished attempts. */
    req: (requestId: string) => `${p}req:${requestId}`,
    /** One reservation (`<jobId>:<attempt>[.<run>]`). */
    res: (member: string) => `${p}res:${member}`,
    /** Sorted set of live reservations by lease end. */
    leases: `${p}leases`,
    /** Set once a day when the warning threshold is crossed. */
    warned: (d: string) => `${p}warned:${d}`,
    /** Set once per window when a budget alert threshold (percent) is crossed. */
    alerted: (budget: string, window: string, percent: number) => `${p}alerted:${budget}:${window}:${percent}`,
    /** The parts reap-1.lua builds keys from: reservation, day and request prefixes, day suffixes. */
    reapLayout: [`${p}res:`, `${p}day:`, `${p}req:`, DAY_SUFFIX.models, DAY_SUFFIX.providers, DAY_SUFFIX.requests, DAY_SUFFIX.keys] as const,
  };
}

const DAY_SUFFIX = { models: ':models', providers: ':providers', requests: ':spend-index', keys: ':keys' } as const;

export type LedgerKeys = ReturnType<typeof ledgerKeys>;
