import type { Config } from '@orch/config';
import { enabledModelKeys, modelsOnQueue, resolveModel } from '@orch/config';
import type { Preferences, ToolOutput } from '@orch/contracts';
import type { Ledger } from '@orch/ledger';
import { priceInfo, queueName, type ProviderQueues } from '@orch/queue';
import { spendFor } from '../requests/caller-spend';
import type { Caller } from '../callers/caller';

export function listModelsOutput(config: Config): ToolOutput<'list_models'> {
  return {
    default_strategy: config.orchestration.defaultStrategy,
    models: enabledModelKeys(config).map((key) => {
      const r = resolveModel(config, key);
      const price = priceInfo(config, key);
      return {
        key,
        model_id: r.model.modelId,
        provider: r.providerKey,
        description: r.model.description,
        max_output_tokens: r.model.maxOutputTokens,
        ...(r.model.contextWindow ? { context_window: r.model.contextWindow } : {}),
        price_per_million: { input: r.model.pricing.input, output: r.model.pricing.output },
        price_source: price.source,
        ...(price.asOf ? { price_as_of: price.asOf } : {}),
        streaming: r.model.streaming,
      };
    }),
  };
}

export function preferencesOutput(config: Config, settings: Preferences): ToolOutput<'configure_orchestrator'> {
  return {
    settings,
    effective_cost_limit_usd: Math.min(config.limits.maxCostPerRequest, settings.cost_limit ?? Infinity),
  };
}

export async function statusOutput(opts: { config: Config; queues: ProviderQueues; ledger: Ledger; prefs: Preferences; caller: Caller }): Promise<ToolOutput<'get_orchestrator_status'>> {
  const { config } = opts;
  const queues = await Promise.all(
    (Object.keys(opts.queues.byKey) as Array<keyof ProviderQueues['byKey']>).map(async (key) => {
      const q = opts.queues.byKey[key];
      const [counts, workers] = await Promise.all([q.getJobCounts('waiting', 'active', 'delayed', 'failed', 'prioritized'), q.getWorkersCount()]);
      return {
        queue: queueName(key),
        models: modelsOnQueue(config, key),
        waiting: (counts.waiting ?? 0) + (counts.prioritized ?? 0),
        active: counts.active ?? 0,
        delayed: counts.delayed ?? 0,
        failed: counts.failed ?? 0,
        workers,
      };
    }),
  );
  return {
    models: enabledModelKeys(config),
    default_strategy: config.orchestration.defaultStrategy,
    queues,
    spend: await spendFor(opts.ledger, opts.caller, opts.prefs.cost_limit),
    your_settings: opts.prefs,
  };
}
