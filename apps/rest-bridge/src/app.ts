import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import helmet from 'helmet';
import { metricsAllowed, METRICS_REFUSAL } from '@orch/orchestration';
import { checkJsonDepth, malformedRequest, writeError, writeFailure } from '@orch/door';
import { mountAdmin } from './admin';
import { callerGuard, hostGuard, originGuard } from './guards';
import { DOCS_ASSETS_DIR, DOCS_CSP, DOCS_HTML, DOCS_INIT_JS, openApiDocument } from './openapi';
import { mountRequests } from './routes/requests';
import { mountToolCalls } from './routes/tool-calls';
import type { RestAppDeps } from './deps';

export type { RestAppDeps } from './deps';

/**
 * The REST bridge: seed-compatible tool calls plus asynchronous requests, SSE progress, spend,
 * health and an OpenAPI document. Every error is `{success: false, error: {code, message, …}}` with
 * the status of its code; never a stack trace.
 */
export function createRestApp(deps: RestAppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  // Answers are fresh per call; hashing every body for an ETag only costs CPU.
  app.set('etag', false);
  // Security headers (helmet's defaults: CSP, nosniff, frame-ancestors, HSTS, no referrer…).
  app.use(helmet({ referrerPolicy: { policy: 'no-referrer' }, crossOriginResourcePolicy: { policy: 'cross-origin' } }));
  app.use(originGuard(deps));

  // Probes answer whatever the Host (kubelets use the pod's address); they tell nothing.
  app.get('/healthz', (_req, res) => void res.json({ status: 'ok' }));
  app.get('/readyz', (_req, res) => void deps.isReady().then((ok) => res.status(ok ? 200 : 503).json({ status: ok ? 'ready' : 'not_ready' })));
  app.use(hostGuard(deps));
  // Open endpoints: the API description.
  const doc = openApiDocument(deps.version ?? '0.1.0');
  app.get('/openapi.json', (_req, res) => void res.json(doc));
  app.get('/docs', (_req, res) => void res.setHeader('Content-Security-Policy', DOCS_CSP).type('html').send(DOCS_HTML));
  app.get('/docs/init.js', (_req, res) => void res.type('application/javascript').send(DOCS_INIT_JS));
  app.use('/docs/assets', express.static(DOCS_ASSETS_DIR, { index: false, fallthrough: false, maxAge: '1d' }));
  app.get('/', (_req, res) => void res.json({ name: 'mcp-orchestrator REST bridge', docs: '/docs', openapi: '/openapi.json', tools: '/tools' }));

  mountAdmin(app, deps.adminKey, deps.orchestrator.admin, deps.logger, { queueWrites: deps.adminQueueWrites ?? false });
  // Metrics name models, tools and every caller's spend: the admin key, or a keyless door's own user.
  app.get('/metrics', (req, res) => {
    if (!deps.registry) return void res.status(404).end();
    const registry = deps.registry;
    void metricsAllowed(req.headers.authorization, deps.adminKey, (k) => deps.orchestrator.authenticate(k, false)).then(
      async (ok) => {
        if (!ok) return writeError(res, { code: 'unauthorized', message: METRICS_REFUSAL, retryable: false });
        res.setHeader('Content-Type', registry.contentType);
        res.send(await registry.metrics());
      },
      (err: unknown) => writeFailure(res, err, deps.logger),
    );
  });
  app.use(callerGuard(deps));
  app.use(express.json({ limit: deps.maxBodyBytes ?? 1024 * 1024, verify: (_req, _res, buf) => checkJsonDepth(buf) }));

  mountToolCalls(app, deps);
  mountRequests(app, deps);

  app.use((_req, res) => writeError(res, { code: 'not_found', message: 'No such endpoint; see /openapi.json', retryable: false }));
  app.use((err: Error & { type?: string; status?: number }, _req: Request, res: Response, next: NextFunction) => {
    void next;
    if (res.headersSent) return void res.end();
    const info = malformedRequest(err);
    if (info) return writeError(res, info.error, { status: info.status });
    writeFailure(res, err, deps.logger);
  });
  return app;
}
