import { Redis } from 'ioredis';
import { loadConfig, resolveModel, type Config } from '@orch/config';
import { startFakeProvider, startRedis, type FakeProvider, type RedisServerHandle } from '@orch/testing';
import { PRICES_KEY } from './keys';
import { PriceBook, priceInfo } from './prices';

const quiet = { info: () => undefined, warn: () => undefined };

/**
 * Issue 16: live OpenRouter prices. An openrouter worker reads GET /models and shares the list in
 * Redis; another process applies the shared copy; the configured prices are the fallback.
 */
describe('PriceBook', () => {
  let server: RedisServerHandle;
  let redis: Redis;
  let openrouter: FakeProvider;
  const config = (baseUrl: string): Config => loadConfig({ env: { REDIS_URL: server.url, OPENROUTER_BASE_URL: baseUrl, OPENROUTER_API_KEY: 'k', OPENAI_API_KEY: 'k' } });

  beforeAll(async () => {
    [server, openrouter] = await Promise.all([startRedis(), startFakeProvider({ flavor: 'openrouter', apiKey: 'k' })]);
    redis = new Redis(server.url);
  });
  afterAll(async () => {
    redis.disconnect();
    await Promise.all([server.stop(), openrouter.stop()]);
  });

  it("uses OpenRouter's price when it has one, shares it, and falls back to the configured one", async () => {
    openrouter.setPrices({ 'google/gemini-2.5-pro': { input: 2, output: 12, cachedInput: 0.5 } });
    const worker = config(openrouter.baseURL);
    const configured = { ...resolveModel(worker, 'gemini_pro').model.pricing };
    expect(configured).toMatchObject({ input: 1.25, output: 10 });
    await new PriceBook({ config: worker, redis, logger: quiet, fetch: true }).refresh();
    // The worker's reservations price the model as resolved: the live price.
    expect(resolveModel(worker, 'gemini_pro').model.pricing).toMatchObject({ input: 2, output: 12, cachedInput: 0.5, tiers: configured.tiers });
    expect(priceInfo(worker, 'gemini_pro')).toEqual({ source: 'openrouter', asOf: expect.any(String) });
    expect(priceInfo(worker, 'o3_architect')).toEqual({ source: 'config' });
    expect(await redis.ttl(PRICES_KEY)).toBeGreaterThan(3600);

    // A front door reads the shared copy.
    const door = config(openrouter.baseURL);
    await new PriceBook({ config: door, redis, logger: quiet, fetch: false }).refresh();
    expect(resolveModel(door, 'gemini_pro').model.pricing).toMatchObject({ input: 2, output: 12 });

    // OpenRouter unreachable and no shared copy: back to the configured price.
    await redis.del(PRICES_KEY);
    const warnings: string[] = [];
    worker.providers.openrouter!.baseUrl = 'http://127.0.0.1:9/api/v1';
    await new PriceBook({ config: worker, redis, logger: { ...quiet, warn: (m) => warnings.push(m) }, fetch: true }).refresh();
    expect(resolveModel(worker, 'gemini_pro').model.pricing).toMatchObject({ input: 1.25, output: 10 });
    expect(priceInfo(worker, 'gemini_pro')).toEqual({ source: 'config' });
    expect(warnings).toContain('could not read OpenRouter prices; using the configured ones');
  });

  it('two books on one config (a gateway with its own workers) keep the configured price; a list without the model puts it back; off does nothing', async () => {
    const shared = config(openrouter.baseURL);
    openrouter.setPrices({ 'google/gemini-2.5-pro': { input: 3, output: 30 } });
    await new PriceBook({ config: shared, redis, logger: quiet, fetch: true }).refresh();
    expect(resolveModel(shared, 'gemini_pro').model.pricing).toMatchObject({ input: 3, output: 30 });
    // The front door's book on the same config, reading a list that no longer has the model.
    await redis.set(PRICES_KEY, JSON.stringify({ fetchedAt: new Date().toISOString(), providers: { openrouter: {} } }));
    await new PriceBook({ config: shared, redis, logger: quiet, fetch: false }).refresh();
    expect(resolveModel(shared, 'gemini_pro').model.pricing).toMatchObject({ input: 1.25, output: 10 });
    expect(priceInfo(shared, 'gemini_pro')).toEqual({ source: 'config' });

    const off = loadConfig({ env: { REDIS_URL: server.url, OPENROUTER_BASE_URL: openrouter.baseURL, OPENROUTER_API_KEY: 'k', OPENAI_API_KEY: 'k', ORCH_LIVE_PRICES: 'false' } });
    await new PriceBook({ config: off, redis, logger: quiet, fetch: true }).refresh();
    expect(resolveModel(off, 'gemini_pro').model.pricing).toMatchObject({ input: 1.25, output: 10 });
  });
});
