import { renderJson } from './render';
import { statusOutput } from './status';
import { localTool } from './tool';

export const getOrchestratorStatus = localTool(
  'get_orchestrator_status',
  {
    title: 'Orchestrator status',
    description: "Models, queue depth, live workers, today's spend against the daily and per-request limits, and your settings.",
  },
  async (_a, host, caller) => {
    const out = await statusOutput({ config: host.config, queues: host.queues, ledger: host.ledger, prefs: await host.callers.getPrefs(caller.id), caller });
    const s = out.spend;
    return { structured: out, text: renderJson(`Spend today: $${s.spent_usd.toFixed(4)} of $${s.daily_limit_usd} (reserved $${s.reserved_usd.toFixed(4)})${s.warning ? ' ⚠️ over the warning threshold' : ''}`, out) };
  },
);
