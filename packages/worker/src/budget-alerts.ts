import pRetry from 'p-retry';
import type { Counter } from 'prom-client';
import type { BudgetAlert } from '@orch/ledger';
import type { Logger } from '@orch/logging';

export interface BudgetAlerterOptions {
  logger: Logger;
  counter?: Counter<'budget' | 'percent'>;
  /** ORCH_ALERT_WEBHOOK_URL: POSTed a JSON body Slack (`text`) and Discord (`content`) both take. */
  webhookUrl?: string;
  /** For tests: fewer, faster retries. */
  retry?: { retries: number; minTimeout: number };
}

/**
 * What a budget alert does: a log line, a metric, and a POST to the webhook when one is set —
 * retried in the background (p-retry: 4 tries over about 7 s, 5 s each), never awaited by the call
 * that raised it. The ledger raises each threshold once per window across every process.
 */
export function budgetAlerter(opts: BudgetAlerterOptions): (alert: BudgetAlert) => void {
  return (alert) => {
    opts.logger.warn('budget alert', { ...alert });
    opts.counter?.labels(alert.budget, String(alert.percent)).inc();
    if (!opts.webhookUrl) return;
    const url = opts.webhookUrl;
    const text = alertText(alert);
    const post = async () => {
      const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text, content: text, alert }), signal: AbortSignal.timeout(5_000) });
      if (!res.ok) throw new Error(`webhook answered ${res.status}`);
    };
    void pRetry(post, { retries: opts.retry?.retries ?? 3, minTimeout: opts.retry?.minTimeout ?? 1_000, factor: 2 }).catch((err: Error) =>
      opts.logger.warn('budget alert webhook failed', { percent: alert.percent, budget: alert.budget, err: err.message }),
    );
  };
}

export function alertText(a: BudgetAlert): string {
  const usd = (n: number) => `$${n.toFixed(4)}`;
  const what = a.percent >= 100 ? 'is used up: calls are refused until it resets' : `passed ${a.percent}%`;
  const budget = a.budget === 'daily' ? 'daily' : `${a.budget === 'key_daily' ? 'daily' : 'monthly'} budget of key "${a.keyName ?? a.key}", the`;
  return `mcp-orchestrator: the ${budget} budget ${what} (${a.window}) — spent ${usd(a.spentUsd)}, reserved ${usd(a.reservedUsd)} of ${usd(a.limitUsd)}; resets ${a.resetsAt}.`;
}
