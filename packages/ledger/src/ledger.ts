import type { Redis } from 'ioredis';
import { BudgetExceededError } from './budget-error';
import { dayEndsAt, dayOf } from './day';
import { toNano, toNanoCeil, toUsd } from './money';
import { ledgerKeys, type LedgerKeys } from './keys';
import { defineLedgerScripts, type LedgerRedis } from './scripts';

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
  redis: Redis;
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
}

export interface Reservation {
  jobId: string;
  attempt: number;
  requestId: string;
  model: string;
  provider: string;
  day: string;
  member: string;
  reservedUsd: number;
  /** False when this attempt had already reserved (a redelivered job). */
  fresh: boolean;
}

/** A budget crossed a threshold (spent + reserved, or a call was refused by it: 100%). */
export interface BudgetAlert {
  budget: 'daily';
  /** The window: the day (YYYY-MM-DD in the limit's time zone). */
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
  /** One page of the day's spend by request, newest first, at most `requests.count` entries. */
  byRequest: Record<string, number>;
  /** Pass as `requests.cursor` for the next page; `0` when this was the last. */
  byRequestCursor: string;
  /** Requests with spend recorded this day within the request retention. */
  requestCount: number;
}

const DAY = 86_400;
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

  constructor(opts: LedgerOptions) {
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

  private keys(day: string, requestId: string, member?: string) {
    const k = this.k;
    return {
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
    const k = this.keys(day, input.requestId, member);
    const requestLimit = Math.min(this.limits.maxCostPerRequest, input.maxRequestCostUsd ?? Infinity);
    const est = toNanoCeil(input.estimateUsd);
    const resTtl = Math.ceil(this.leaseMs / 1000) + 3600;
    const [status, reserved, ds, dr, rs, rr] = (await this.redis.ledgerReserve(
      k.day, k.req, k.res, k.leases,
      est, toNano(this.limits.dailyLimit), toNano(requestLimit), now + this.leaseMs, member,
      input.requestId, day, input.model, input.provider, this.ttl.request, resTtl, this.ttl.day,
    )).map(Number) as [number, number, number, number, number, number];
    if (status === -1 || status === -2) {
      const daily = status === -2;
      // Refused by the daily limit: that budget is used up (100%), whatever is still reserved.
      if (daily) await this.maybeAlert(day, now, ds, dr, true);
      const limitUsd = daily ? this.limits.dailyLimit : requestLimit;
      const spent = daily ? ds : rs;
      const held = daily ? dr : rr;
      throw new BudgetExceededError({
        limit: daily ? 'daily' : 'request',
        limitUsd,
        spentUsd: toUsd(spent),
        reservedUsd: toUsd(held),
        remainingUsd: Math.max(0, limitUsd - toUsd(spent + held)),
        requestedUsd: toUsd(est),
        day,
        requestId: input.requestId,
        ...(daily ? { resetsAt: new Date(dayEndsAt(now, this.limits.timeZone)).toISOString() } : {}),
      });
    }
    if (status === 1) await Promise.all([this.maybeWarn(day, ds, dr), this.maybeAlert(day, now, ds, dr, false)]);
    return { ...input, day, member, reservedUsd: toUsd(reserved), fresh: status === 1 };
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
    const k = this.keys(res.day, res.requestId, res.member);
    const [status] = await this.redis.ledgerSettle(
      k.res, k.day, k.req, k.leases, k.dayModels, k.dayProviders, k.dayRequests,
      actualNano, res.member, res.model, res.provider, res.requestId, this.ttl.day, this.ttl.request, kind, this.now(),
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
    const results = (await this.redis
      .multi()
      .hgetall(k.day)
      .hgetall(k.dayModels)
      .hgetall(k.dayProviders)
      .zrevrange(k.dayRequests, offset, offset + count - 1)
      .zcard(k.dayRequests)
      .exec())!.map(([, v]) => v);
    const [totals, models, providers] = results.slice(0, 3) as Array<Record<string, string>>;
    const ids = results[3] as string[];
    const total = Number(results[4] ?? 0);
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
      byRequest: usdMap(requests),
      byRequestCursor: nextCursor,
      requestCount: total,
    };
  }

  /** Each threshold the day's spend + reservations has reached, once per day across every process. */
  private async maybeAlert(day: string, now: number, spentNano: number, reservedNano: number, refused: boolean): Promise<void> {
    if (!this.alerts) return;
    const limit = this.limits.dailyLimit;
    const used = refused ? limit : toUsd(spentNano + reservedNano);
    for (const t of this.alerts.thresholds) {
      if (used < t * limit) continue;
      const percent = Math.round(t * 100);
      if (await this.firstTime(this.k.alerted('daily', day, percent))) this.alerts.onAlert({ budget: 'daily', window: day, percent, spentUsd: toUsd(spentNano), reservedUsd: toUsd(reservedNano), limitUsd: limit, resetsAt: new Date(dayEndsAt(now, this.limits.timeZone)).toISOString() });
    }
  }

  private async maybeWarn(day: string, spentNano: number, reservedNano: number): Promise<void> {
    if (!this.onWarning) return;
    const used = toUsd(spentNano + reservedNano);
    if (used < this.limits.warningThreshold * this.limits.dailyLimit) return;
    if (await this.firstTime(this.k.warned(day))) this.onWarning({ day, spentUsd: toUsd(spentNano), reservedUsd: toUsd(reservedNano), limitUsd: this.limits.dailyLimit });
  }

  /** True for the first process to get here for this key (it lives two days: longer than its window). */
  private async firstTime(key: string): Promise<boolean> {
    return (await this.redis.set(key, '1', 'EX', 2 * DAY, 'NX')) === 'OK';
  }
}
