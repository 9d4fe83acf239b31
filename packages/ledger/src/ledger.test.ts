import type { Cluster, Redis } from 'ioredis';
import { loadConfig, resolveModel } from '@orch/config';
import { startTestRedis, type TestRedis } from '@orch/testing';
import { BudgetExceededError } from './budget-error';
import { worstCaseCost } from './estimate';
import { Ledger } from './ledger';
import type { LedgerLimits, ReserveInput } from './ledger-types';

const limits: LedgerLimits = { maxCostPerRequest: 100, dailyLimit: 10, warningThreshold: 0.8, timeZone: 'UTC' };
let n = 0;

describe('Ledger (Lua against a real redis-server)', () => {
  let server: TestRedis;
  let redis: Redis | Cluster;
  let clock: number;
  const make = (over: Partial<LedgerLimits> = {}, extra: { leaseMs?: number; onWarning?: () => void } = {}) =>
    new Ledger({ redis, limits: { ...limits, ...over }, keyPrefix: `{ledger-t${++n}}`, now: () => clock, ...extra });
  const call = (over: Partial<ReserveInput> = {}): ReserveInput => ({
    jobId: `job${++n}`,
    attempt: 1,
    requestId: 'req1',
    model: 'gemini_pro',
    provider: 'openrouter',
    estimateUsd: 1,
    ...over,
  });

  beforeAll(async () => {
    server = await startTestRedis();
    redis = server.client();
  });
  afterAll(async () => {
    redis.disconnect();
    await server.stop();
  });
  beforeEach(() => {
    clock = Date.parse('2026-11-24T10:00:00Z');
  });

  it('keeps one key per finished request (markers are fields of it), an index of the day\'s requests trimmed to the retention, and pages it (issue 12.6)', async () => {
    const prefix = `{ledger-t${++n}}`;
    const ledger = new Ledger({ redis, limits: { ...limits, dailyLimit: 1000 }, keyPrefix: prefix, now: () => clock, retention: { daySeconds: 400 * 86_400, requestSeconds: 120 } });
    const spendOn = async (requestId: string) => {
      const res = await ledger.reserve(call({ requestId, estimateUsd: 0.01 }));
      await ledger.settle(res, 0.001);
      expect(await ledger.settle(res, 0.001)).toBe(false);
    };
    for (let i = 0; i < 250; i++) await spendOn(`r${i}`);
    const keys = await server.keys(`${prefix}*`);
    expect(keys.filter((k) => k.includes(':req:'))).toHaveLength(250);
    expect(keys.filter((k) => !k.includes(':req:')).sort()).toEqual([`${prefix}:day:2026-11-24`, `${prefix}:day:2026-11-24:keys`, `${prefix}:day:2026-11-24:models`, `${prefix}:day:2026-11-24:providers`, `${prefix}:day:2026-11-24:spend-index`, `${prefix}:key:unknown:day:2026-11-24`, `${prefix}:key:unknown:month:2026-11`]);
    expect(await redis.ttl(`${prefix}:req:r0`)).toBeLessThanOrEqual(120);
    // Scripts set a total's TTL when they create it, not on every write: still, no key lives forever.
    expect(Math.min(...(await Promise.all(keys.map((key) => redis.ttl(key)))))).toBeGreaterThan(0);
    expect(await redis.ttl(`${prefix}:day:2026-11-24`)).toBeGreaterThan(300 * 86_400);
    // Pages of exactly the size asked, newest first, covering every request once.
    const seen: string[] = [];
    let cursor = '0';
    do {
      const r = await ledger.report({ requests: { cursor, count: 100 } });
      expect(r.requestCount).toBe(250);
      expect(Object.keys(r.byRequest).length).toBeLessThanOrEqual(100);
      for (const [id, usd] of Object.entries(r.byRequest)) {
        seen.push(id);
        expect(usd).toBe(0.001);
      }
      cursor = r.byRequestCursor;
    } while (cursor !== '0');
    expect(new Set(seen).size).toBe(250);
    // Steady traffic keeps the day's index as small as the retention window, not a day's worth.
    clock += 200_000;
    await spendOn('later');
    expect((await ledger.report()).requestCount).toBe(1);
  });

  it('reserves, settles the actual cost and reports it by day, model, provider and request', async () => {
    const ledger = make();
    const res = await ledger.reserve(call({ estimateUsd: 0.5 }));
    expect(res).toMatchObject({ fresh: true, reservedUsd: 0.5, day: '2026-11-24' });
    expect(await ledger.report()).toMatchObject({ spentUsd: 0, reservedUsd: 0.5, remainingUsd: 9.5 });
    expect(await ledger.settle(res, 0.123456789)).toBe(true);
    const report = await ledger.report();
    expect(report).toMatchObject({ spentUsd: 0.123456789, reservedUsd: 0, calls: 1, byModel: { gemini_pro: 0.123456789 }, byProvider: { openrouter: 0.123456789 }, byRequest: { req1: 0.123456789 } });
    expect(report.resetsAt).toBe('2026-11-25T00:00:00.000Z');
    expect(await ledger.requestSpend('req1')).toEqual({ spentUsd: 0.123456789, reservedUsd: 0 });
  });

  it('is idempotent: reserve twice with one id, settle twice, release after settle', async () => {
    const ledger = make();
    const input = call({ estimateUsd: 2 });
    const a = await ledger.reserve(input);
    const b = await ledger.reserve(input);
    expect(b).toMatchObject({ fresh: false, reservedUsd: 2 });
    expect((await ledger.report()).reservedUsd).toBe(2);
    expect(await ledger.settle(a, 1)).toBe(true);
    expect(await ledger.settle(a, 1)).toBe(false);
    expect(await ledger.release(a)).toBe(false);
    expect(await ledger.report()).toMatchObject({ spentUsd: 1, reservedUsd: 0, calls: 1 });
    // A settled attempt cannot reserve again.
    expect((await ledger.reserve(input)).fresh).toBe(false);
    expect((await ledger.report()).reservedUsd).toBe(0);
  });

  it('refuses a call over the daily limit with the amounts and the reset time', async () => {
    const ledger = make();
    await ledger.settle(await ledger.reserve(call({ estimateUsd: 6, requestId: 'a' })), 6);
    await ledger.reserve(call({ estimateUsd: 3, requestId: 'b' }));
    const err = await ledger.reserve(call({ estimateUsd: 1.5, requestId: 'c' })).catch((e) => e);
    expect(err).toBeInstanceOf(BudgetExceededError);
    expect(err.code).toBe('budget_exceeded');
    expect(err.budget).toMatchObject({ limit: 'daily', limitUsd: 10, spentUsd: 6, reservedUsd: 3, remainingUsd: 1, requestedUsd: 1.5, resetsAt: '2026-11-25T00:00:00.000Z' });
    expect(err.message).toMatch(/daily limit of \$10\.0000.*\$1\.0000 left.*\$6\.0000 spent.*\$3\.0000 reserved/);
    // A call that fits still goes through.
    await expect(ledger.reserve(call({ estimateUsd: 1, requestId: 'd' }))).resolves.toMatchObject({ fresh: true });
  });

  it('holds each key to its daily and monthly budgets in the same step as the global limit; reaps and late settles move its windows too (issue 16)', async () => {
    const ledger = make({ dailyLimit: 100 }, { leaseMs: 1000 });
    const alice = { id: 'key:alice', name: 'alice', dailyUsd: 1, monthlyUsd: 1.4 };
    const a1 = await ledger.reserve(call({ estimateUsd: 0.6, key: alice }));
    expect(a1.keyId).toBe('key:alice');
    const over = await ledger.reserve(call({ estimateUsd: 0.5, key: alice })).catch((e) => e);
    expect(over).toBeInstanceOf(BudgetExceededError);
    expect(over.budget).toMatchObject({ limit: 'key_daily', key: 'key:alice', keyName: 'alice', window: '2026-11-24', limitUsd: 1, spentUsd: 0, reservedUsd: 0.6, resetsAt: '2026-11-25T00:00:00.000Z' });
    expect(over.message).toMatch(/daily budget of key "alice", \$1\.0000 \(2026-11-24\), has \$0\.4000 left/);
    // Another key (no budget) is not touched by alice's.
    await expect(ledger.reserve(call({ estimateUsd: 5, key: { id: 'key:bob' } }))).resolves.toMatchObject({ fresh: true });
    await ledger.settle(a1, 0.5);
    expect(await ledger.keySpend('key:alice')).toMatchObject({ today: { spentUsd: 0.5, reservedUsd: 0 }, thisMonth: { spentUsd: 0.5, reservedUsd: 0 } });
    // The next day: a fresh daily window, the same month.
    clock += 86_400_000;
    const a2 = await ledger.reserve(call({ estimateUsd: 0.9, key: alice }));
    const monthly = await ledger.reserve(call({ estimateUsd: 0.05, key: alice })).catch((e) => e);
    expect(monthly.budget).toMatchObject({ limit: 'key_monthly', window: '2026-11', spentUsd: 0.5, reservedUsd: 0.9, resetsAt: '2026-12-01T00:00:00.000Z' });
    // Its worker dies: the reaper books the estimate to alice's windows; a late settle corrects them.
    clock += 2000;
    expect(await ledger.reap()).toBe(2); // and bob's, yesterday's
    expect(await ledger.keySpend('key:alice')).toMatchObject({ today: { spentUsd: 0.9, reservedUsd: 0 }, thisMonth: { spentUsd: 1.4, reservedUsd: 0 } });
    await ledger.settle(a2, 0.3);
    expect(await ledger.keySpend('key:alice')).toMatchObject({ today: { spentUsd: 0.3, reservedUsd: 0 }, thisMonth: { spentUsd: 0.8, reservedUsd: 0 } });
    expect((await ledger.report()).byKey).toEqual({ 'key:alice': 0.3 });
  });

  it('per-key race: 40 reserve at once against a $0.05 key, 40 against a key without budget; the global limit holds over both (issue 16)', async () => {
    const ledger = make({ dailyLimit: 0.1 });
    const capped = { id: 'key:capped', dailyUsd: 0.05 };
    const free = { id: 'key:free' };
    const burst = (key: { id: string }) => Array.from({ length: 40 }, (_, i) => ledger.reserve(call({ requestId: `${key.id}${i}`, estimateUsd: 0.004, key })).then(async (r) => (await ledger.settle(r, 0.004), 'ok'), (e: BudgetExceededError) => e.budget.limit));
    const [a, b] = await Promise.all([Promise.all(burst(capped)), Promise.all(burst(free))]);
    // 12 × $0.004 fit in $0.05; the other key is refused only by the global limit, never by the capped key's budget.
    expect(a.filter((x) => x === 'ok')).toHaveLength(12);
    expect(new Set(a.filter((x) => x !== 'ok'))).toEqual(new Set(['key_daily', ...(a.includes('daily') ? ['daily'] : [])]));
    expect(b).not.toContain('key_daily');
    const spendA = await ledger.keySpend('key:capped');
    expect(spendA.today.spentUsd).toBeLessThanOrEqual(0.05);
    const report = await ledger.report();
    expect(report.spentUsd).toBeLessThanOrEqual(0.1);
    expect(report.spentUsd).toBeCloseTo(0.1, 9);
    expect(report.byKey['key:capped']! + report.byKey['key:free']!).toBeCloseTo(report.spentUsd, 9);
  });

  it('bounds everything one request spends: several calls and retries together', async () => {
    const ledger = make({ maxCostPerRequest: 1 });
    const requestId = 'council';
    const c1 = await ledger.reserve(call({ requestId, jobId: 'r.0', estimateUsd: 0.4 }));
    const c2 = await ledger.reserve(call({ requestId, jobId: 'r.1', estimateUsd: 0.4 }));
    await ledger.settle(c1, 0.3);
    await ledger.release(c2); // attempt 1 of the second call failed before billing
    const retry = await ledger.reserve(call({ requestId, jobId: 'r.1', attempt: 2, estimateUsd: 0.4 }));
    await ledger.settle(retry, 0.35);
    const synth = await ledger.reserve(call({ requestId, jobId: 'r.2', estimateUsd: 0.3 }));
    const over = await ledger.reserve(call({ requestId, jobId: 'r.3', estimateUsd: 0.1 })).catch((e) => e);
    expect(over).toBeInstanceOf(BudgetExceededError);
    expect(over.budget).toMatchObject({ limit: 'request', limitUsd: 1, spentUsd: 0.65, reservedUsd: 0.3 });
    expect(over.budget.remainingUsd).toBeCloseTo(0.05, 9);
    await ledger.settle(synth, 0.2);
    expect(await ledger.requestSpend(requestId)).toEqual({ spentUsd: 0.85, reservedUsd: 0 });
    // A caller may lower the per-request limit, never raise it.
    await expect(ledger.reserve(call({ requestId: 'low', estimateUsd: 0.5, maxRequestCostUsd: 0.25 }))).rejects.toThrow(/per-request limit of \$0\.2500/);
    await expect(ledger.reserve(call({ requestId: 'high', estimateUsd: 2, maxRequestCostUsd: 50 }))).rejects.toThrow(/per-request limit of \$1\.0000/);
  });

  it('books a reservation whose lease ended at its estimate (booked >= billed), and a late settle or release corrects it (issue 13.2)', async () => {
    const ledger = make({}, { leaseMs: 1000 });
    const held = await ledger.reserve(call({ estimateUsd: 4 }));
    const live = await ledger.reserve(call({ estimateUsd: 1 }));
    const lost = await ledger.reserve(call({ estimateUsd: 2, requestId: 'req2' }));
    clock += 600;
    expect(await ledger.extend(live)).toBe(true);
    clock += 600;
    expect(await ledger.reap()).toBe(2);
    // The worker may have been billed for both: they are booked at their reservations.
    expect(await ledger.report()).toMatchObject({ reservedUsd: 1, spentUsd: 6, estimatedUsd: 6, reaped: 2, byModel: { gemini_pro: 6 } });
    expect(await ledger.requestSpend('req2')).toEqual({ spentUsd: 2, reservedUsd: 0 });
    expect(await ledger.extend(held)).toBe(false);
    // The worker was alive after all: its actual cost replaces the estimate.
    expect(await ledger.settle(held, 0.5)).toBe(true);
    expect(await ledger.report()).toMatchObject({ spentUsd: 2.5, estimatedUsd: 2, reservedUsd: 1 });
    // Nothing was billed for the other: its release returns the estimate.
    expect(await ledger.release(lost)).toBe(true);
    expect(await ledger.report()).toMatchObject({ spentUsd: 0.5, estimatedUsd: 0, reservedUsd: 1, byModel: { gemini_pro: 0.5 } });
    expect(await ledger.settle(held, 0.5)).toBe(false);
  });

  it('handles $0 models: reserve, settle, release and reap of a zero estimate (issue 14.2)', async () => {
    const ledger = make({}, { leaseMs: 1000 });
    const free = await ledger.reserve(call({ estimateUsd: 0, model: 'local' }));
    expect(await ledger.settle(free, 0)).toBe(true);
    expect(await ledger.release(await ledger.reserve(call({ estimateUsd: 0 })))).toBe(true);
    await ledger.reserve(call({ estimateUsd: 0 }));
    clock += 2000;
    expect(await ledger.reap()).toBe(1);
    expect(await ledger.report()).toMatchObject({ spentUsd: 0, reservedUsd: 0 });
  });

  it('records an actual cost above its reservation as overshoot', async () => {
    const ledger = make();
    await ledger.settle(await ledger.reserve(call({ estimateUsd: 0.1 })), 0.15);
    expect(await ledger.report()).toMatchObject({ spentUsd: 0.15, overshootCalls: 1 });
    expect((await ledger.report()).overshootUsd).toBeCloseTo(0.05, 9);
  });

  it('starts a fresh daily window at midnight in the configured time zone', async () => {
    const utc = make();
    clock = Date.parse('2026-11-24T23:59:00Z');
    await utc.settle(await utc.reserve(call({ estimateUsd: 9, requestId: 'x' })), 9);
    await expect(utc.reserve(call({ estimateUsd: 2, requestId: 'y' }))).rejects.toThrow(BudgetExceededError);
    clock = Date.parse('2026-11-25T00:00:01Z');
    await expect(utc.reserve(call({ estimateUsd: 2, requestId: 'y' }))).resolves.toMatchObject({ day: '2026-11-25' });
    expect((await utc.report({ day: '2026-11-24' })).spentUsd).toBe(9);

    const ny = make({ timeZone: 'America/New_York' });
    clock = Date.parse('2026-11-25T03:00:00Z'); // still the 24th in New York
    expect(ny.day()).toBe('2026-11-24');
    expect((await ny.report()).resetsAt).toBe('2026-11-25T05:00:00.000Z');
  });

  it('warns once per day when spend passes the threshold', async () => {
    const warnings: unknown[] = [];
    const ledger = make({}, { onWarning: () => warnings.push(1) });
    await ledger.reserve(call({ estimateUsd: 7 }));
    expect(warnings).toHaveLength(0);
    await ledger.reserve(call({ estimateUsd: 1 }));
    await ledger.reserve(call({ estimateUsd: 1 }));
    expect(warnings).toHaveLength(1);
    expect((await ledger.report()).warning).toBe(true);
  });

  it('admits exactly the calls that fit when 200 reserve at once', async () => {
    const ledger = make({ dailyLimit: 10, maxCostPerRequest: 100 });
    const results = await Promise.allSettled(Array.from({ length: 200 }, (_, i) => ledger.reserve(call({ requestId: `r${i}`, estimateUsd: 0.07 }))));
    const ok = results.filter((r) => r.status === 'fulfilled');
    expect(ok).toHaveLength(Math.floor(10 / 0.07)); // 142
    expect(results.filter((r) => r.status === 'rejected').every((r) => (r as PromiseRejectedResult).reason instanceof BudgetExceededError)).toBe(true);
    expect((await ledger.report()).reservedUsd).toBeLessThanOrEqual(10);
  });

  // Issue 31.10: alerts follow real spend. Before, a key whose first call was refused (it spent $0)
  // got the 50, 80 and 100 % alerts at once.
  it('a refused call on a budget barely used raises no alert; one refused near the limit raises 100 %', async () => {
    const alerts: Array<{ budget: string; percent: number }> = [];
    const ledger = new Ledger({ redis, limits, keyPrefix: `{ledger-t${++n}}`, now: () => clock, onAlert: (a) => void alerts.push({ budget: a.budget, percent: a.percent }) });
    const key = { id: 'key:small', name: 'small', dailyUsd: 1 };
    await expect(ledger.reserve(call({ estimateUsd: 5, key }))).rejects.toBeInstanceOf(BudgetExceededError);
    expect(alerts).toEqual([]);
    const r = await ledger.reserve(call({ estimateUsd: 0.9, key }));
    await ledger.settle(r, 0.85);
    expect(alerts).toEqual([{ budget: 'key_daily', percent: 50 }, { budget: 'key_daily', percent: 80 }]);
    await expect(ledger.reserve(call({ estimateUsd: 0.5, key }))).rejects.toBeInstanceOf(BudgetExceededError);
    expect(alerts.at(-1)).toEqual({ budget: 'key_daily', percent: 100 });
  });
});

describe('worstCaseCost', () => {
  const config = loadConfig({ cwd: '/nonexistent', env: {} });
  const o3 = resolveModel(config, 'o3_architect');
  const gemini = resolveModel(config, 'gemini_pro');
  const messages = [{ role: 'user' as const, content: 'Explain the CAP theorem in two sentences.' }];

  it('counts o3 prompts with the o200k tokenizer', () => {
    const e = worstCaseCost(o3, messages, 1000);
    expect(e.method).toBe('tokenizer');
    expect(e.promptTokens).toBeLessThan(30);
    expect(e.usd).toBeCloseTo((e.promptTokens * 2 + 1000 * 8) / 1e6, 12);
  });

  it('bounds Gemini prompts by their UTF-8 bytes and uses the long-context tier when it applies', () => {
    const small = worstCaseCost(gemini, messages);
    expect(small.method).toBe('bytes_bound');
    expect(small.promptTokens).toBeGreaterThanOrEqual(Buffer.byteLength(messages[0]!.content));
    expect(small.usd).toBeCloseTo((small.promptTokens * 1.25 + 32768 * 10) / 1e6, 12);
    const big = worstCaseCost(gemini, [{ role: 'user', content: 'x'.repeat(300_000) }], 100);
    expect(big.usd).toBeCloseTo((big.promptTokens * 2.5 + 100 * 15) / 1e6, 12);
  });
});
