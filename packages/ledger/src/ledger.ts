import { BudgetExceededError } from './budget-error';
import { dayEndsAt, dayOf, monthEndsAt } from './day';
import { toNano, toNanoCeil, toUsd } from './money';
import { ledgerKeys, type LedgerKeys } from './keys';
import { waitForReplicas, type ReplicaWait } from './replicas';
import { reserveArgs, settleArgs, type AttemptKeys } from './script-args';
import { defineLedgerScripts, type LedgerRedis } from './scripts';
import type { BudgetName, KeyBudget, LedgerOptions, LedgerLimits, LedgerReport, Reservation, ReserveInput, SpendTotals } from './ledger-types';

/** One budget a reservation was checked against, as the reserve script saw it. */
interface BudgetState {
  budget: BudgetName;
  window: string;
  limitUsd: number;
  spent: number;
  reserved: number;
  resetsAt: () => string;
  key?: KeyBudget;
}

const DAY = 86_400;
/** Reserve-script refusals (reserve-6.lua) by the budget that refused. */
const REFUSED_BY = { [-2]: 'daily', [-3]: 'key_daily', [-4]: 'key_monthly' } as const;
/** Default retention of spend records (seconds); LedgerOptions.retention overrides. */
export const SPEND_RETENTION = { daySeconds: 400 * DAY, requestSeconds: DAY };

/**
 * The spend ledger: reserve → call → settle, in single Lua scripts, so the limit check and the update
 * are one atomic step. Amounts are integer nano-dollars. Every key shares one hash tag.
 */
export class Ledger {
  readonly limits: LedgerLimits;
  private readonly redis: LedgerRedis;
  private readonly k: LedgerKeys;
  private readonly leaseMs: number;
  private readonly now: () => number;
  private readonly onWarning: LedgerOptions['onWarning'];
  private readonly alerts: { thresholds: readonly number[]; onAlert: NonNullable<LedgerOptions['onAlert']> } | undefined;
  private readonly ttl: { day: number; request: number };
  private readonly replicas: ReplicaWait | undefined;

  constructor(opts: LedgerOptions) {
    this.replicas = opts.replicas;
    this.redis = defineLedgerScripts(opts.redis);
    this.limits = opts.limits;
    this.k = ledgerKeys(opts.keyPrefix ?? '{ledger}');
    this.leaseMs = opts.leaseMs ?? 60_000;
    this.now = opts.now ?? Date.now;
    this.onWarning = opts.onWarning;
    this.alerts = opts.onAlert ? { thresholds: opts.alertThresholds ?? [0.5, 0.8, 1], onAlert: opts.onAlert } : undefined;
    this.ttl = { day: opts.retention?.daySeconds ?? SPEND_RETENTION.daySeconds, request: opts.retention?.requestSeconds ?? SPEND_RETENTION.requestSeconds };
  }

  get lease(): number {
    return this.leaseMs;
  }

  day(ts = this.now()): string {
    return dayOf(ts, this.limits.timeZone);
  }

  private keys(day: string, requestId: string, member?: string, keyId = ''): AttemptKeys {
    const k = this.k;
    return {
      keyDay: k.keyWindow(keyId, 'day', day),
      keyMonth: k.keyWindow(keyId, 'month', day.slice(0, 7)),
      dayKeys: k.dayKeys(day),
      day: k.day(day),
      dayModels: k.dayModels(day),
      dayProviders: k.dayProviders(day),
      dayRequests: k.dayRequests(day),
      req: k.req(requestId),
      res: k.res(member ?? ''),
      leases: k.leases,
    };
  }

  /** Reserves an attempt's worst case, or throws BudgetExceededError naming the limit. */
  async reserve(input: ReserveInput): Promise<Reservation> {
    const now = this.now();
    const day = this.day(now);
    const member = `${input.jobId}:${input.attempt}${input.run ? `.${input.run}` : ''}`;
    const key = input.key ?? { id: 'unknown' };
    const k = this.keys(day, input.requestId, member, key.id);
    const requestLimit = Math.min(this.limits.maxCostPerRequest, input.maxRequestCostUsd ?? Infinity);
    const est = toNanoCeil(input.estimateUsd);
    const resTtl = Math.ceil(this.leaseMs / 1000) + 3600;
    const budgetNano = (usd: number | undefined) => (usd === undefined ? -1 : toNano(usd));
    const [status, reserved, ds, dr, rs, rr, kds, kdr, kms, kmr] = (await this.redis.ledgerReserve(
      ...reserveArgs(k, {
        estimate: est, dailyLimit: toNano(this.limits.dailyLimit), requestLimit: toNano(requestLimit), leaseEnd: now + this.leaseMs, member,
        requestId: input.requestId, day, model: input.model, provider: input.provider, requestTtl: this.ttl.request, reservationTtl: resTtl, dayTtl: this.ttl.day,
        keyDailyBudget: budgetNano(key.dailyUsd), keyMonthlyBudget: budgetNano(key.monthlyUsd), keyId: key.id,
      }),
    )).map(Number) as [number, number, number, number, number, number, number, number, number, number];
    const tz = this.limits.timeZone;
    const dayEnd = () => new Date(dayEndsAt(now, tz)).toISOString();
    const budgets: BudgetState[] = [
      { budget: 'daily', window: day, limitUsd: this.limits.dailyLimit, spent: ds, reserved: dr, resetsAt: dayEnd },
      ...(key.dailyUsd !== undefined ? [{ budget: 'key_daily' as const, window: day, limitUsd: key.dailyUsd, spent: kds, reserved: kdr, resetsAt: dayEnd, key }] : []),
      ...(key.monthlyUsd !== undefined ? [{ budget: 'key_monthly' as const, window: day.slice(0, 7), limitUsd: key.monthlyUsd, spent: kms, reserved: kmr, resetsAt: () => new Date(monthEndsAt(now, tz)).toISOString(), key }] : []),
    ];
    if (status === -1) {
      throw new BudgetExceededError({
        limit: 'request', limitUsd: requestLimit, spentUsd: toUsd(rs), reservedUsd: toUsd(rr),
        remainingUsd: Math.max(0, requestLimit - toUsd(rs + rr)), requestedUsd: toUsd(est), day, window: input.requestId, requestId: input.requestId,
      });
    }
    if (status < -1) {
      const refusedBy = budgets.find((b) => b.budget === REFUSED_BY[status as -2 | -3 | -4])!;
      // Refused by a budget: used up (100%) if real spend had nearly reached it (maybeAlert).
      await this.maybeAlert([refusedBy], true);
      throw new BudgetExceededError({
        limit: refusedBy.budget, limitUsd: refusedBy.limitUsd, spentUsd: toUsd(refusedBy.spent), reservedUsd: toUsd(refusedBy.reserved),
        remainingUsd: Math.max(0, refusedBy.limitUsd - toUsd(refusedBy.spent + refusedBy.reserved)), requestedUsd: toUsd(est),
        day, window: refusedBy.window, requestId: input.requestId, resetsAt: refusedBy.resetsAt(),
        ...(refusedBy.key ? { key: refusedBy.key.id, ...(refusedBy.key.name ? { keyName: refusedBy.key.name } : {}) } : {}),
      });
    }
    if (status === 1) await Promise.all([this.maybeWarn(day, ds, dr), this.maybeAlert(budgets, false), waitForReplicas(this.redis, k.leases, this.replicas)]);
    const { key: _key, ...rest } = input;
    return { ...rest, day, member, keyId: key.id, reservedUsd: toUsd(reserved), fresh: status === 1 };
  }

  /** Heartbeat: pushes the lease end forward. False when the reservation is gone. */
  async extend(res: Reservation, leaseMs = this.leaseMs): Promise<boolean> {
    const k = this.keys(res.day, res.requestId, res.member);
    return (await this.redis.ledgerExtend(k.res, k.leases, this.now() + leaseMs, res.member, Math.ceil(leaseMs / 1000) + 3600)) === 1;
  }

  /** Books the actual cost and returns the reservation. A second call is a no-op (returns false). */
  async settle(res: Reservation, actualUsd: number): Promise<boolean> {
    return this.finish(res, toNano(actualUsd), 'settled');
  }

  /** Nothing was billed: returns the reservation. Idempotent. */
  async release(res: Reservation): Promise<boolean> {
    return this.finish(res, 0, 'released');
  }

  private async finish(res: Reservation, actualNano: number, kind: 'settled' | 'released'): Promise<boolean> {
    const k = this.keys(res.day, res.requestId, res.member, res.keyId);
    const [status] = await this.redis.ledgerSettle(
      ...settleArgs(k, { actual: actualNano, member: res.member, model: res.model, provider: res.provider, requestId: res.requestId, dayTtl: this.ttl.day, requestTtl: this.ttl.request, kind, now: this.now(), keyId: res.keyId }),
    );
    return Number(status) === 1;
  }

  /**
   * Books reservations whose lease ended at their reservation (marked estimated: the provider may
   * have billed them); a late settle or release corrects them. Safe to call from every worker.
   */
  async reap(max = 500): Promise<number> {
    return Number(await this.redis.ledgerReap(this.k.leases, this.now(), max, this.ttl.day, this.ttl.request, ...this.k.reapLayout));
  }

  /** Spend (booked) per day for the last `days` days, oldest first, today last. */
  async history(days = 31): Promise<Array<{ day: string; spentUsd: number }>> {
    const now = this.now();
    const list: string[] = [];
    for (let i = days - 1; i >= 0; i--) {
      const d = this.day(now - i * DAY * 1000);
      if (list.at(-1) !== d) list.push(d);
    }
    const spent = await Promise.all(list.map((d) => this.redis.hget(this.k.day(d), 'spent')));
    return list.map((day, i) => ({ day, spentUsd: toUsd(Number(spent[i] ?? 0)) }));
  }

  /** A caller key's spend today and this month (the ledger's time zone). */
  async keySpend(keyId: string): Promise<{ day: string; month: string; today: SpendTotals; thisMonth: SpendTotals }> {
    const day = this.day();
    const k = this.keys(day, '', undefined, keyId);
    const [d, m] = await Promise.all([this.redis.hmget(k.keyDay, 'spent', 'reserved'), this.redis.hmget(k.keyMonth, 'spent', 'reserved')]);
    const totals = ([spent, reserved]: Array<string | null>) => ({ spentUsd: toUsd(Number(spent ?? 0)), reservedUsd: toUsd(Number(reserved ?? 0)) });
    return { day, month: day.slice(0, 7), today: totals(d), thisMonth: totals(m) };
  }

  async requestSpend(requestId: string): Promise<SpendTotals> {
    const [spent, reserved] = await this.redis.hmget(this.k.req(requestId), 'spent', 'reserved');
    return { spentUsd: toUsd(Number(spent ?? 0)), reservedUsd: toUsd(Number(reserved ?? 0)) };
  }

  /**
   * Spend of a day (today by default), by model and provider, and one page of its spend by request,
   * newest first (`requests`: cursor = offset, as returned in `byRequestCursor`; page size 100 by
   * default). Readable from any process.
   */
  async report(opts: { day?: string; requests?: { cursor?: string; count?: number } } = {}): Promise<LedgerReport> {
    const now = this.now();
    const day = opts.day ?? this.day(now);
    const k = this.keys(day, '');
    const count = Math.max(1, Math.min(1000, opts.requests?.count ?? 100));
    const offset = Math.max(0, Number(opts.requests?.cursor ?? 0) || 0);
    // Settles trim the index only every 64 calls: trim it here too, so the count is exact.
    const results = (await this.redis
      .multi()
      .zremrangebyscore(k.dayRequests, '-inf', `(${now - this.ttl.request * 1000}`)
      .hgetall(k.day)
      .hgetall(k.dayModels)
      .hgetall(k.dayProviders)
      .hgetall(k.dayKeys)
      .zrevrange(k.dayRequests, offset, offset + count - 1)
      .zcard(k.dayRequests)
      .exec())!.slice(1).map(([, v]) => v);
    const [totals, models, providers, byKey] = results.slice(0, 4) as Array<Record<string, string>>;
    const ids = results[4] as string[];
    const total = Number(results[5] ?? 0);
    const perRequest = ids.length ? await Promise.all(ids.map((id) => this.redis.hget(this.k.req(id), 'spent'))) : [];
    const requests: Record<string, string> = {};
    ids.forEach((id, i) => (requests[id] = perRequest[i] ?? '0'));
    const nextCursor = offset + ids.length < total && ids.length ? String(offset + ids.length) : '0';
    const n = (v: string | undefined) => Number(v ?? 0);
    const usdMap = (m: Record<string, string> | undefined) => Object.fromEntries(Object.entries(m ?? {}).map(([key, v]) => [key, toUsd(Number(v))]));
    const spent = n(totals?.spent);
    const reserved = n(totals?.reserved);
    const spentUsd = toUsd(spent);
    const reservedUsd = toUsd(reserved);
    return {
      day,
      timeZone: this.limits.timeZone,
      resetsAt: new Date(dayEndsAt(day === this.day(now) ? now : Date.parse(`${day}T12:00:00Z`), this.limits.timeZone)).toISOString(),
      limits: { dailyUsd: this.limits.dailyLimit, perRequestUsd: this.limits.maxCostPerRequest, warningThreshold: this.limits.warningThreshold },
      spentUsd,
      reservedUsd,
      remainingUsd: Math.max(0, this.limits.dailyLimit - toUsd(spent + reserved)),
      warning: toUsd(spent + reserved) >= this.limits.warningThreshold * this.limits.dailyLimit,
      calls: n(totals?.calls),
      overshootUsd: toUsd(n(totals?.overshoot)),
      overshootCalls: n(totals?.overshootCalls),
      reaped: n(totals?.reaped),
      estimatedUsd: toUsd(n(totals?.estimated)),
      byModel: usdMap(models),
      byProvider: usdMap(providers),
      byKey: usdMap(byKey),
      byRequest: usdMap(requests),
      byRequestCursor: nextCursor,
      requestCount: total,
    };
  }

  /** Each threshold a budget's spend + reservations has reached, once per window across every process. */
  private async maybeAlert(budgets: BudgetState[], refused: boolean): Promise<void> {
    if (!this.alerts) return;
    // A refusal counts as the budget used up (100%) only when real spend and reservations already
    // reach the highest threshold below it: a call too big for a budget barely touched is refused
    // (the caller is told), but no alert says money was spent.
    const nearlyFull = Math.max(0, ...this.alerts.thresholds.filter((t) => t < 1));
    for (const b of budgets) {
      const real = toUsd(b.spent + b.reserved);
      const used = refused && real >= nearlyFull * b.limitUsd ? b.limitUsd : real;
      for (const t of this.alerts.thresholds) {
        if (used < t * b.limitUsd) continue;
        const percent = Math.round(t * 100);
        const name = b.key ? `key:${b.key.id}:${b.budget}` : b.budget;
        if (!(await this.firstTime(this.k.alerted(name, b.window, percent)))) continue;
        this.alerts.onAlert({
          budget: b.budget, ...(b.key ? { key: b.key.id, ...(b.key.name ? { keyName: b.key.name } : {}) } : {}),
          window: b.window, percent, spentUsd: toUsd(b.spent), reservedUsd: toUsd(b.reserved), limitUsd: b.limitUsd, resetsAt: b.resetsAt(),
        });
      }
    }
  }

  private async maybeWarn(day: string, spentNano: number, reservedNano: number): Promise<void> {
    if (!this.onWarning) return;
    const used = toUsd(spentNano + reservedNano);
    if (used < this.limits.warningThreshold * this.limits.dailyLimit) return;
    if (await this.firstTime(this.k.warned(day))) this.onWarning({ day, spentUsd: toUsd(spentNano), reservedUsd: toUsd(reservedNano), limitUsd: this.limits.dailyLimit });
  }

  /** True for the first process to get here for this key (it lives 32 days: longer than any window). */
  private async firstTime(key: string): Promise<boolean> {
    return (await this.redis.set(key, '1', 'EX', 32 * DAY, 'NX')) === 'OK';
  }
}
