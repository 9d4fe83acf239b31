import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import helmet from 'helmet';
import type { Registry } from 'prom-client';
import { OrchestratorError, SpendQuerySchema, TOOL_CONTRACTS, TOOL_NAMES, toErrorInfo, type ErrorInfo } from '@orch/contracts';
import { TOOL_DOCS, bearer, metricsAllowed, METRICS_REFUSAL, describeZodError, originAllowed, originRefusal, streamIdOrThrow, type Caller, type Facade, type RequestRecord } from '@orch/orchestration';
import { checkJsonDepth, hostAllowed, malformedRequest } from '@orch/door';
import type { Logger } from '@orch/logging';
import { z } from 'zod';
import { errorBody, sendError } from './http-errors';
import { DOCS_ASSETS_DIR, DOCS_CSP, DOCS_HTML, DOCS_INIT_JS, openApiDocument } from './openapi';
import { mountAdmin } from './admin';

export interface RestAppDeps {
  orchestrator: Facade;
  logger: Logger;
  allowedOrigins: readonly string[];
  /** Host header values accepted besides the loopback names (ORCH_ALLOWED_HOSTS; `*` for any). */
  allowedHosts: readonly string[];
  /** How long a synchronous call waits before answering 202 with the request id. */
  syncWaitMs: number;
  registry?: Registry;
  /** ORCH_ADMIN_KEY: the operators' pages (/admin/queues); off when unset. */
  adminKey?: string;
  /** bull-board may retry, add and clean jobs (ORCH_ADMIN_QUEUE_WRITES); read-only otherwise. */
  adminQueueWrites?: boolean;
  isReady: () => Promise<boolean>;
  maxBodyBytes?: number;
  version?: string;
}

const send = (res: Response, err: unknown, logger: Logger) => {
  const info: ErrorInfo = toErrorInfo(err);
  if (info.code === 'internal') logger.error('request failed', { err: (err as Error)?.stack ?? String(err) });
  sendError(res, info);
};

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
  app.use((req, res, next) => {
    const origin = req.headers.origin;
    if (origin) {
      if (!originAllowed(origin, deps.allowedOrigins, req.headers.host)) {
        return sendError(res, { code: 'forbidden', message: originRefusal(origin, deps.logger, 'rest-bridge'), retryable: false });
      }
      res.setHeader('Access-Control-Allow-Origin', origin);
      res.setHeader('Vary', 'Origin');
      res.setHeader('Access-Control-Allow-Headers', 'Authorization, Content-Type, Prefer, Last-Event-ID');
      res.setHeader('Access-Control-Allow-Methods', 'GET, POST, DELETE, OPTIONS');
      if (req.method === 'OPTIONS') return void res.status(204).end();
    }
    next();
  });

  // Probes answer whatever the Host (kubelets use the pod's address); they tell nothing.
  app.get('/healthz', (_req, res) => void res.json({ status: 'ok' }));
  app.get('/readyz', (_req, res) => void deps.isReady().then((ok) => res.status(ok ? 200 : 503).json({ status: ok ? 'ready' : 'not_ready' })));
  // DNS rebinding: a page on another name that resolves to this address must not read anything.
  app.use((req, res, next) => {
    if (hostAllowed(req.headers.host, deps.allowedHosts)) return next();
    sendError(res, { code: 'forbidden', message: `Host ${String(req.headers.host ?? '(none)').slice(0, 100)} is not allowed; add it to ORCH_ALLOWED_HOSTS`, retryable: false });
  });
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
        if (!ok) return sendError(res, { code: 'unauthorized', message: METRICS_REFUSAL, retryable: false });
        res.setHeader('Content-Type', registry.contentType);
        res.send(await registry.metrics());
      },
      (err: unknown) => send(res, err, deps.logger),
    );
  });
  app.use(async (req: Request, res: Response, next: NextFunction) => {
    // REST callers never get file access: only the MCP gateway reads the caller's disk.
    let caller: Caller | undefined;
    try {
      caller = await deps.orchestrator.authenticate(bearer(req.headers.authorization), false);
    } catch (err) {
      return void send(res, err, deps.logger);
    }
    if (!caller) {
      res.setHeader('WWW-Authenticate', 'Bearer realm="mcp-orchestrator"');
      return sendError(res, { code: 'unauthorized', message: 'Send Authorization: Bearer <key>', retryable: false });
    }
    res.locals.caller = caller;
    next();
  });
  app.use(express.json({ limit: deps.maxBodyBytes ?? 1024 * 1024, verify: (_req, _res, buf) => checkJsonDepth(buf) }));

  app.get('/health', async (_req, res) => {
    const ready = await deps.isReady();
    res.status(ready ? 200 : 503).json({ status: ready ? 'healthy' : 'unhealthy', tools: TOOL_NAMES.length, timestamp: new Date().toISOString() });
  });
  app.get('/tools', (_req, res) => {
    res.json({
      success: true,
      tools: TOOL_NAMES.map((name) => ({ name, title: TOOL_DOCS[name].title, description: TOOL_DOCS[name].description, input_schema: z.toJSONSchema(TOOL_CONTRACTS[name].input, { io: 'input', unrepresentable: 'any' }) })),
    });
  });

  const callTool = async (tool: string, args: unknown, req: Request, res: Response) => {
    const caller = res.locals.caller as Caller;
    const async = req.query.wait === 'false' || /respond-async/i.test(String(req.headers.prefer ?? ''));
    // Accept: text/event-stream: the call's events in the answer itself, as they happen.
    const stream = !async && /text\/event-stream/i.test(String(req.headers.accept ?? ''));
    const ctrl = new AbortController();
    // A client that hangs up while waiting (or streaming) cancels its request (like an MCP cancel).
    res.on('close', () => {
      if (!res.writableEnded) ctrl.abort();
    });
    const result = await deps.orchestrator.callTool(tool, args ?? {}, caller, { syncWaitMs: async || stream ? 0 : deps.syncWaitMs, signal: ctrl.signal });
    if (stream && result.kind === 'running') {
      return void streamEvents(res, result.requestId, '0-0', undefined, () => {
        if (!res.writableEnded) void deps.orchestrator.cancel(result.requestId, caller).catch(() => undefined);
      });
    }
    switch (result.kind) {
      case 'running': {
        const id = result.requestId;
        res.status(202).setHeader('Location', `/requests/${id}`);
        return void res.json({ success: true, tool, request_id: id, status: 'running', links: { self: `/requests/${id}`, events: `/requests/${id}/events` } });
      }
      case 'error':
        return sendError(res, result.error, { tool });
      case 'done': {
        // A request that ended failed or cancelled: its error's status, with the output beside it.
        const error = (result.structured as { error?: ErrorInfo }).error;
        if (result.failed) {
          const e = error ?? { code: 'internal' as const, message: result.text, retryable: false };
          return sendError(res, e, { tool, result: result.structured });
        }
        return void res.json({ success: true, tool, result: result.structured, timestamp: new Date().toISOString() });
      }
    }
  };

  app.post('/mcp/:tool', (req, res) => void callTool(String(req.params.tool), req.body, req, res).catch((err) => send(res, err, deps.logger)));
  app.post('/mcp', (req, res) => {
    const body = req.body as { method?: unknown; params?: unknown } | undefined;
    if (typeof body?.method !== 'string') {
      return void send(res, new OrchestratorError('invalid_arguments', 'method: required, the tool name (body: {"method": "<tool>", "params": {...}})', { details: { field: 'method' } }), deps.logger);
    }
    void callTool(body.method, body.params ?? {}, req, res).catch((err) => send(res, err, deps.logger));
  });

  /** A JSON endpoint: `{success: true, result}`, or the error answer of whatever it throws. */
  const answer = (run: (req: Request, caller: Caller) => Promise<unknown>) => (req: Request, res: Response) =>
    void run(req, res.locals.caller as Caller).then(
      (result) => res.json({ success: true, result }),
      (err: unknown) => send(res, err, deps.logger),
    );
  app.get(
    '/requests',
    answer(async (req, caller) => ({ requests: await deps.orchestrator.listRequests(caller, Math.min(100, Math.max(1, Number(req.query.limit ?? 20) || 20))) })),
  );
  app.get(
    '/requests/:id',
    answer((req, caller) => deps.orchestrator.getRequest(String(req.params.id), caller, Math.min(50, Math.max(0, Number(req.query.wait ?? 0) || 0)) * 1000)),
  );
  app.delete(
    '/requests/:id',
    answer((req, caller) => deps.orchestrator.cancel(String(req.params.id), caller)),
  );
  app.get('/requests/:id/events', async (req, res) => {
    const id = String(req.params.id);
    const lastEventId = req.headers['last-event-id'];
    let after: string;
    let record: RequestRecord;
    try {
      // An id Redis would refuse is this caller's error, answered here, never the shared reader's.
      after = streamIdOrThrow(String(lastEventId ?? req.query.after ?? '0-0'), lastEventId !== undefined ? 'Last-Event-ID' : 'after');
      record = await deps.orchestrator.ownRequest(id, res.locals.caller as Caller);
    } catch (err) {
      return void send(res, err, deps.logger);
    }
    streamEvents(res, id, after, record);
  });

  /**
   * Writes a request's events from after `after` as SSE until `done`. `onHangUp` runs when the
   * client goes away first.
   */
  function streamEvents(res: Response, id: string, after: string, record?: RequestRecord, onHangUp?: () => void): void {
    let ended = false;
    res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache', Connection: 'keep-alive', 'X-Accel-Buffering': 'no' });
    res.write('retry: 2000\n\n');
    const keepAlive = setInterval(() => res.write(': keep-alive\n\n'), 15_000);
    // Every SSE stream of this process shares one blocking Redis read (the EventHub).
    const sub = deps.orchestrator.follow(
      id,
      after,
      (e) => {
        const { id: eventId, ...event } = e;
        res.write(`id: ${eventId}\nevent: ${e.type}\ndata: ${JSON.stringify(event)}\n\n`);
        if (e.type === 'done') end();
      },
      () => end(),
      record,
    );
    // A request that never ends (its driver died) closes the stream after an hour; the client may resume.
    const limit = setTimeout(() => end(), 3_600_000);
    function end() {
      if (ended) return;
      ended = true;
      clearInterval(keepAlive);
      clearTimeout(limit);
      sub.close();
      res.end();
    }
    // (The response's close: the request's own fires as soon as its body has been read.)
    res.on('close', () => {
      if (!res.writableEnded) onHangUp?.();
      end();
    });
  }

  app.get(
    '/spend',
    answer(async (req, caller) => {
      const q = SpendQuerySchema.safeParse(req.query);
      if (!q.success) throw describeZodError(q.error);
      return deps.orchestrator.spendReport(caller, { cursor: q.data.cursor, limit: q.data.limit });
    }),
  );

  app.use((_req, res) => sendError(res, { code: 'not_found', message: 'No such endpoint; see /openapi.json', retryable: false }));
  app.use((err: Error & { type?: string; status?: number }, _req: Request, res: Response, next: NextFunction) => {
    void next;
    if (res.headersSent) return void res.end();
    const info = malformedRequest(err);
    if (info) return void res.status(info.status).json(errorBody(info.error));
    send(res, err, deps.logger);
  });
  return app;
}
