import { dirname } from 'node:path';
import type { Express, Request, Response } from 'express';
import { KEYLESS, managedCallerId, type OperatorView } from '@orch/orchestration';
import { queueStats, writeError, type QueueStats } from '@orch/door';
import type { Logger } from '@orch/logging';
import { DASHBOARD_CSP, DASHBOARD_HTML, DASHBOARD_JS } from './dashboard-page';

/** What the dashboard page shows; sent whole on every change (SSE `snapshot` events). */
export interface DashboardSnapshot {
  at: string;
  today: { day: string; timeZone: string; resetsAt: string; spentUsd: number; reservedUsd: number; dailyLimitUsd: number; perRequestLimitUsd: number; calls: number };
  month: { month: string; spentUsd: number };
  byDay: Array<{ day: string; spentUsd: number }>;
  byModel: Record<string, number>;
  byKey: Array<{ id: string; name: string; spentUsd: number; dailyUsd?: number; monthlyUsd?: number; revoked?: boolean }>;
  queues: Record<string, QueueStats>;
  /**
   * Model calls not yet ended, over the provider queues: queued, running, or waiting for a retry.
   * Every request in flight has at least one (a one-call request exactly one; a council one per
   * member), so it counts the work under way whether or not a driver follows it.
   */
  inFlight: number;
  latest: Array<{ requestId: string; tool: string; caller: string; status: string; costUsd: number; promptTokens: number; completionTokens: number; seconds: number | null; models: string[]; finishedAt: string }>;
}

/** chart.js's browser build, from its npm package: served by the bridge, no CDN. */
const CHART_JS = { dir: dirname(require.resolve('chart.js')), file: 'chart.umd.min.js' };

type Sources = Pick<OperatorView, 'today' | 'history' | 'keys' | 'queues' | 'request'>;

/** Builds one snapshot from Redis: the ledger's day, 31 days of history, keys, queues and the latest requests. */
export async function dashboardSnapshot(o: Sources, latest = 20): Promise<DashboardSnapshot> {
  const [report, history, keys, queues] = await Promise.all([
    o.today(latest),
    o.history(31),
    o.keys.list(),
    queueStats(o.queues()),
  ]);
  const names = new Map(keys.map((k) => [managedCallerId(k.id), k]));
  const month = report.day.slice(0, 7);
  const records = await Promise.all(Object.keys(report.byRequest).map((id) => o.request(id)));
  const { requests: _driven, ...providers } = queues;
  return {
    at: new Date().toISOString(),
    today: { day: report.day, timeZone: report.timeZone, resetsAt: report.resetsAt, spentUsd: report.spentUsd, reservedUsd: report.reservedUsd, dailyLimitUsd: report.limits.dailyUsd, perRequestLimitUsd: report.limits.perRequestUsd, calls: report.calls },
    month: { month, spentUsd: round(history.filter((d) => d.day.startsWith(month)).reduce((sum, d) => sum + d.spentUsd, 0)) },
    byDay: history,
    byModel: report.byModel,
    byKey: Object.entries(report.byKey)
      .map(([id, spentUsd]) => {
        const k = names.get(id);
        return { id, name: k?.name ?? (id === KEYLESS.mcp ? 'local MCP (no key)' : id === KEYLESS.web ? 'local REST/WS (no key)' : id.startsWith('key:') ? `static ${id.slice(4, 12)}…` : id), spentUsd, ...(k?.daily_usd !== undefined ? { dailyUsd: k.daily_usd } : {}), ...(k?.monthly_usd !== undefined ? { monthlyUsd: k.monthly_usd } : {}), ...(k?.revoked_at ? { revoked: true } : {}) };
      })
      .sort((a, b) => b.spentUsd - a.spentUsd),
    queues: providers,
    inFlight: Object.values(providers).reduce((n, q) => n + q.active + q.waiting + q.delayed + q.prioritized, 0),
    latest: records.flatMap((r, i) => {
      if (!r) return [];
      const t = r.output?.totals;
      const seconds = r.status === 'running' ? null : Math.max(0, (Date.parse(r.updatedAt) - Date.parse(r.createdAt)) / 1000);
      const caller = names.get(r.callerId)?.name ?? r.callerId;
      return [{ requestId: r.requestId, tool: r.tool, caller, status: r.status, costUsd: t?.cost_usd ?? Object.values(report.byRequest)[i] ?? 0, promptTokens: t?.prompt_tokens ?? 0, completionTokens: t?.completion_tokens ?? 0, seconds, models: t?.models ?? [], finishedAt: r.updatedAt }];
    }),
  };
}

const round = (usd: number) => Math.round(usd * 1e9) / 1e9;

/**
 * The spend dashboard at /dashboard (behind ORCH_ADMIN_KEY, checked by mountAdmin): the page, its
 * script and chart.js from npm, and /dashboard/events — server-sent snapshots, one read of Redis a
 * second shared by every open page, sent when something changed.
 */
export function mountDashboard(app: Express, o: Sources, logger: Logger, intervalMs = 1000): void {
  const clients = new Set<Response>();
  let last = '';
  let timer: NodeJS.Timeout | undefined;
  let busy = false;
  const tick = async () => {
    if (busy) return;
    busy = true;
    try {
      const snap = await dashboardSnapshot(o);
      const { at: _at, ...rest } = snap;
      const body = JSON.stringify(rest);
      if (body === last) return;
      last = body;
      for (const res of clients) res.write(`event: snapshot\ndata: ${JSON.stringify(snap)}\n\n`);
    } catch (err) {
      logger.warn('dashboard: could not read spend or queues', { err: (err as Error).message });
    } finally {
      busy = false;
    }
  };
  const page = (type: string, body: string) => (_req: Request, res: Response) => void res.setHeader('Content-Security-Policy', DASHBOARD_CSP).type(type).send(body);
  app.get('/dashboard', page('html', DASHBOARD_HTML));
  app.get('/dashboard/app.js', page('application/javascript', DASHBOARD_JS));
  app.get('/dashboard/chart.js', (_req, res) => void res.sendFile(CHART_JS.file, { root: CHART_JS.dir, maxAge: '1d' }));
  app.get('/dashboard/snapshot', (_req, res) => void dashboardSnapshot(o).then((s) => res.json(s), (err: Error) => writeError(res, { code: 'unavailable', message: `The dashboard cannot be read right now (${err.message}); retry shortly`, retryable: true })));
  app.get('/dashboard/events', (req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache', Connection: 'keep-alive', 'X-Accel-Buffering': 'no' });
    res.write('retry: 2000\n\n');
    clients.add(res);
    // A new page gets the current snapshot at once, then changes.
    void dashboardSnapshot(o).then((s) => res.write(`event: snapshot\ndata: ${JSON.stringify(s)}\n\n`), () => undefined);
    if (!timer) {
      timer = setInterval(() => void tick(), intervalMs);
      timer.unref();
    }
    const keepAlive = setInterval(() => res.write(': keep-alive\n\n'), 15_000);
    req.on('close', () => {
      clearInterval(keepAlive);
      clients.delete(res);
      if (!clients.size && timer) {
        clearInterval(timer);
        timer = undefined;
        last = '';
      }
    });
  });
}
