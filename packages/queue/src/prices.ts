import { profileOf } from '@orch/providers';
import type { RedisClient } from './redis';
import type { Config } from '@orch/config';
import type { Price } from '@orch/contracts';
import { PRICES_KEY } from './keys';

/** OpenRouter's prices by provider key, then model id (USD per million tokens), and when they were read. */
export interface LivePrices {
  fetchedAt: string;
  providers: Record<string, Record<string, Price>>;
}

/** Where the price a model uses now comes from. */
export interface PriceInfo {
  source: 'openrouter' | 'config';
  /** When OpenRouter's list was read. */
  asOf?: string;
}

interface Log {
  info(message: string, meta?: Record<string, unknown>): void;
  warn(message: string, meta?: Record<string, unknown>): void;
}

/**
 * Per config object (every PriceBook of a process that shares one — a gateway running its own
 * workers — shares this): each model's configured price, kept before the first live one replaced
 * it, and where its current price comes from.
 */
const stateByConfig = new WeakMap<Config, { configured: Map<string, Price>; info: Map<string, PriceInfo> }>();
function stateFor(config: Config) {
  let state = stateByConfig.get(config);
  if (!state) stateByConfig.set(config, (state = { configured: new Map(), info: new Map() }));
  return state;
}

/** The source of the price a model of this config uses (the configured one unless a PriceBook applied a live one). */
export function priceInfo(config: Config, modelKey: string): PriceInfo {
  return stateByConfig.get(config)?.info.get(modelKey) ?? { source: 'config' };
}

/**
 * OpenRouter's GET /models: every model's prices, in USD per token as strings. A price that is not
 * a number at or above 0 (OpenRouter lists "-1" for routers whose price varies) is left out.
 */
/**
 * Live OpenRouter prices for the models of one process's config. A process that `fetch`es (an
 * openrouter worker) reads GET /models at start and every `config.prices.refreshHours`, and shares
 * the list in Redis (`start`); the others (front doors) read that copy when list_models asks
 * (`refresh`). The
 * price of a configured openrouter model is replaced in place (input, output, cached input; its
 * long-context tiers stay as configured), and put back when no live price is known: the configured
 * prices are the fallback. Off when `config.prices.live` is false.
 */
export class PriceBook {
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly opts: { config: Config; redis: RedisClient; logger: Log; fetch: boolean }) {}

  /** For the process that fetches: read now, then every refreshHours. */
  async start(): Promise<void> {
    if (!this.opts.config.prices.live) return;
    await this.refresh();
    this.timer = setInterval(() => void this.refresh(), this.opts.config.prices.refreshHours * 3_600_000);
    this.timer.unref();
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** Reads the prices (OpenRouter, or the shared copy) and applies them; never throws. */
  async refresh(): Promise<void> {
    if (!this.opts.config.prices.live) return;
    let book: LivePrices | undefined;
    if (this.opts.fetch) book = await this.fetchAll();
    if (!book) book = await this.shared();
    this.apply(book);
  }

  private async fetchAll(): Promise<LivePrices | undefined> {
    const { config, redis, logger } = this.opts;
    const providers: LivePrices['providers'] = {};
    for (const [key, p] of Object.entries(config.providers)) {
      const livePrices = profileOf(p).livePrices;
      if (!livePrices) continue;
      try {
        providers[key] = await livePrices(p.baseUrl);
      } catch (err) {
        logger.warn('could not read OpenRouter prices; using the configured ones', { provider: key, err: (err as Error).message });
      }
    }
    if (!Object.keys(providers).length) return undefined;
    const book = { fetchedAt: new Date().toISOString(), providers };
    const ttl = Math.ceil(config.prices.refreshHours * 3600 * 2);
    await redis.set(PRICES_KEY, JSON.stringify(book), 'EX', ttl).catch(() => undefined);
    return book;
  }

  private async shared(): Promise<LivePrices | undefined> {
    try {
      const raw = await this.opts.redis.get(PRICES_KEY);
      const book = raw ? (JSON.parse(raw) as LivePrices) : undefined;
      return book && typeof book.fetchedAt === 'string' && book.providers && typeof book.providers === 'object' ? book : undefined;
    } catch {
      return undefined;
    }
  }

  private apply(book: LivePrices | undefined): void {
    const { config, logger } = this.opts;
    const { configured, info } = stateFor(config);
    const changed: string[] = [];
    for (const [key, model] of Object.entries(config.models)) {
      const provider = config.providers[model.provider];
      if (!provider || !profileOf(provider).livePrices) continue;
      if (!configured.has(key)) configured.set(key, { input: model.pricing.input, output: model.pricing.output, ...(model.pricing.cachedInput !== undefined ? { cachedInput: model.pricing.cachedInput } : {}) });
      const live = book?.providers[model.provider]?.[model.modelId];
      const next = live ?? configured.get(key)!;
      if (next.input !== model.pricing.input || next.output !== model.pricing.output) changed.push(key);
      const cached = next.cachedInput ?? configured.get(key)!.cachedInput;
      model.pricing.input = next.input;
      model.pricing.output = next.output;
      if (cached !== undefined) model.pricing.cachedInput = cached;
      else delete model.pricing.cachedInput;
      info.set(key, live ? { source: 'openrouter', asOf: book!.fetchedAt } : { source: 'config' });
    }
    if (changed.length) logger.info('model prices updated', { models: changed, source: book ? 'openrouter' : 'config' });
  }
}
