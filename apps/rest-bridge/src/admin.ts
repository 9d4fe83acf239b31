import type { Express, NextFunction, Request, Response, Router } from 'express';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import { SpendQuerySchema } from '@orch/contracts';
import { adminGuard, describeZodError, type OperatorView } from '@orch/orchestration';
import type { Logger } from '@orch/logging';
import { writeError } from '@orch/door';
import { mountKeyAdmin } from './admin-keys';
import { mountDashboard } from './dashboard';

export const ADMIN_QUEUES_PATH = '/admin/queues';

/**
 * The operators' pages, behind ORCH_ADMIN_KEY (Bearer, or Basic auth with the key as the password,
 * so a browser asks for it): bull-board at /admin/queues over the provider queues and the request
 * queue — waiting, active, delayed and failed jobs, read-only unless ORCH_ADMIN_QUEUE_WRITES (then
 * retry and clean); every caller's spend at /admin/spend; the caller keys' admin API at
 * /admin/keys; the spend dashboard at /dashboard. Without the key configured the pages are off and
 * say how to turn them on.
 */
export function mountAdmin(
  app: Express,
  adminKey: string | undefined,
  admin: OperatorView,
  logger: Logger,
  opts: { queueWrites?: boolean } = {},
): void {
  const check = adminGuard(adminKey, logger);
  const adminOnly = (req: Request, res: Response, next: NextFunction) => {
    if (!adminKey) return writeError(res, { code: 'not_found', message: 'The admin pages are off; set ORCH_ADMIN_KEY (16+ characters) to turn them on', retryable: false });
    void check(req.headers.authorization, req.ip ?? req.socket.remoteAddress ?? '?', req.originalUrl).then((c) => {
      if (c.ok) {
        // An audit line per admin action (anything but reading).
        if (req.method !== 'GET' && req.method !== 'HEAD') logger.info('admin action', { method: req.method, path: req.originalUrl.slice(0, 200), ip: req.ip });
        return next();
      }
      if (c.throttled) {
        return writeError(res, { code: 'rate_limited', message: 'Too many wrong admin keys from this address; wait a minute', retryable: true, details: { retry_after_seconds: c.retryAfterSeconds ?? 60 } });
      }
      res.setHeader('WWW-Authenticate', 'Basic realm="mcp-orchestrator admin", charset="UTF-8"');
      writeError(res, { code: 'unauthorized', message: 'The admin pages need ORCH_ADMIN_KEY: Authorization: Bearer <key>, or the key as the Basic auth password', retryable: false });
    });
  };
  app.use('/admin', adminOnly);
  app.use('/dashboard', adminOnly);
  if (!adminKey) return;
  mountKeyAdmin(app, admin, logger);
  mountDashboard(app, admin, logger);
  // Every caller's spend and requests (a caller key's GET /spend shows only its own).
  app.get('/admin/spend', (req: Request, res: Response) => {
    const q = SpendQuerySchema.safeParse(req.query);
    if (!q.success) return writeError(res, describeZodError(q.error).toInfo());
    void admin.spend({ cursor: q.data.cursor, limit: q.data.limit }).then(
      (result) => res.json({ success: true, result }),
      () => writeError(res, { code: 'unavailable', message: 'The ledger cannot be read right now; retry shortly', retryable: true }),
    );
  });
  const serverAdapter = new ExpressAdapter().setBasePath(ADMIN_QUEUES_PATH);
  // Read-only unless the operator turns writes on: retrying or adding jobs from a browser tab
  // re-runs billed model calls.
  const readOnlyMode = !opts.queueWrites;
  createBullBoard({ queues: Object.values(admin.queues()).map((q) => new BullMQAdapter(q, { readOnlyMode })), serverAdapter, options: { uiConfig: { boardTitle: 'mcp-orchestrator queues' } } });
  // bull-board's page runs its own inline script and styles: the API's strict CSP does not fit it.
  app.use(ADMIN_QUEUES_PATH, (_req: Request, res: Response, next: NextFunction) => {
    res.setHeader('Content-Security-Policy', "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; frame-ancestors 'none'");
    next();
  }, serverAdapter.getRouter() as Router);
}
