import { renderJson } from './render';
import { preferencesOutput } from './status';
import { localTool } from './tool';

export const configureOrchestrator = localTool(
  'configure_orchestrator',
  {
    title: 'Set your defaults',
    description: "Set your default strategy, models, thinking mode and a per-request cost limit (it can only lower the operator's limit).",
  },
  async (a, host, caller) => {
    if (a.models) host.checkModels(a.models, 'models');
    const current = a.reset ? {} : await host.callers.getPrefs(caller.id);
    const next = { ...current, ...Object.fromEntries(Object.entries(a).filter(([k, v]) => k !== 'reset' && v !== undefined)) };
    await host.callers.setPrefs(caller.id, a.reset && Object.keys(next).length === 0 ? undefined : next);
    const out = preferencesOutput(host.config, next);
    const limit = host.config.limits.maxCostPerRequest;
    const capped = a.cost_limit !== undefined && a.cost_limit > limit;
    return { structured: out, text: renderJson(capped ? `Saved. Your cost_limit is above the operator's $${limit}; that limit still applies.` : 'Saved.', out) };
  },
);
