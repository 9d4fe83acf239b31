import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { hostHeaderValidation } from '@modelcontextprotocol/sdk/server/middleware/hostHeaderValidation.js';
import type { Logger } from '@orch/logging';
import type { Caller } from '@orch/orchestration';
import { LOOPBACK_HOSTS, bearer, checkJsonDepth, malformedRequest, originAllowed, originRefusal } from '@orch/orchestration';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { Registry } from 'prom-client';

export interface HttpAppDeps {
  /** A fresh MCP server for one request (stateless mode). */
  createServer: (caller: Caller) => McpServer;
  logger: Logger;
  /** The caller a bearer key identifies (Orchestrator.authenticate), or undefined: refuse it. */
  authenticate: (presented: string | undefined, fileAccess: boolean) => Promise<Caller | undefined>;
  allowedOrigins: readonly string[];
  /** Host header values accepted besides the loopback names. */
  allowedHosts: readonly string[];
  /** Bound to a loopback address: browser origins on localhost are accepted. */
  loopback: boolean;
  isReady: () => Promise<boolean>;
  maxBodyBytes?: number;
  /** Served at /metrics (behind the key when keys are set). */
  registry?: Registry;
}

const rpcError = (res: Response, status: number, code: number, message: string) =>
  res.status(status).json({ jsonrpc: '2.0', error: { code, message }, id: null });

/**
 * Stateless Streamable HTTP at /mcp: a new server and transport per POST, so any replica can serve
 * any call (no sticky sessions; state lives in Redis). DNS-rebinding defences: Host allow-list,
 * Origin allow-list (403), loopback bind by default; bearer keys when configured.
 */
export function createHttpApp(deps: HttpAppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.get('/healthz', (_req, res) => void res.json({ status: 'ok' }));
  app.get('/readyz', (_req, res) => {
    void deps.isReady().then((ready) => res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not_ready' }));
  });

  // Behind the key when keys are set, as on the bridges: metrics name models, tools and spend.
  // (ORCH_METRICS_PORT serves them apart, without a key, for a scraper on a private network.)
  const registry = deps.registry;
  if (registry) {
    app.get('/metrics', hostHeaderValidation([...LOOPBACK_HOSTS, ...deps.allowedHosts]), async (req: Request, res: Response) => {
      if (!(await deps.authenticate(bearer(req.headers.authorization), true))) {
        res.setHeader('WWW-Authenticate', 'Bearer realm="mcp-orchestrator"');
        return void res.status(401).json({ error: 'unauthorized', message: 'Send Authorization: Bearer <key>' });
      }
      res.type(registry.contentType).send(await registry.metrics());
    });
  }
  app.use('/mcp', hostHeaderValidation([...LOOPBACK_HOSTS, ...deps.allowedHosts]));
  app.use('/mcp', (req: Request, res: Response, next: NextFunction) => {
    const origin = req.headers.origin;
    if (origin) {
      if (!originAllowed(origin, deps.allowedOrigins, deps.loopback)) return void rpcError(res, 403, -32000, `Forbidden: ${originRefusal(origin, deps.logger, 'mcp-gateway')}`);
    }
    next();
  });
  app.use('/mcp', (req: Request, res: Response, next: NextFunction) => {
    deps.authenticate(bearer(req.headers.authorization), true).then(
      (caller) => {
        if (!caller) {
          res.setHeader('WWW-Authenticate', 'Bearer realm="mcp-orchestrator"');
          return void rpcError(res, 401, -32001, 'Unauthorized: send Authorization: Bearer <key>');
        }
        res.locals.caller = caller;
        next();
      },
      () => void rpcError(res, 503, -32000, 'Service unavailable: Redis cannot be reached; retry shortly'),
    );
  });
  app.use('/mcp', (req: Request, res: Response, next: NextFunction) => {
    // Stateless: we never issue session ids, so any id a client sends is unknown (spec: 404).
    if (req.headers['mcp-session-id']) return void rpcError(res, 404, -32001, 'Session not found');
    next();
  });
  app.post('/mcp', express.json({ limit: deps.maxBodyBytes ?? 4 * 1024 * 1024, verify: (_req, _res, buf) => checkJsonDepth(buf) }), async (req: Request, res: Response) => {
    const server = deps.createServer(res.locals.caller as Caller);
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
    res.on('close', () => {
      void transport.close();
      void server.close();
    });
    try {
      await server.connect(transport);
      await transport.handleRequest(req, res, req.body);
    } catch (err) {
      deps.logger.error('MCP request failed', { err: (err as Error).stack ?? String(err) });
      if (!res.headersSent) rpcError(res, 500, -32603, 'Internal error');
    }
  });
  app.all('/mcp', (_req, res) => {
    res.setHeader('Allow', 'POST');
    rpcError(res, 405, -32000, 'Method not allowed: this server is stateless; POST JSON-RPC messages to /mcp');
  });
  // Malformed JSON and oversized bodies: a JSON-RPC error, never a stack trace.
  app.use((err: Error & { status?: number; type?: string }, _req: Request, res: Response, next: NextFunction) => {
    void next;
    if (err.type === 'entity.too.large') return void rpcError(res, 413, -32600, 'Request body too large');
    if (err.type === 'entity.parse.failed') return void rpcError(res, 400, -32700, 'Parse error: the body is not valid JSON');
    const bad = malformedRequest(err);
    if (bad) return void rpcError(res, bad.status, bad.status === 415 ? -32700 : -32600, `${bad.status === 415 ? 'Parse error' : 'Invalid request'}: ${bad.error.message}`);
    deps.logger.error('HTTP error', { err: err.stack ?? String(err) });
    rpcError(res, err.status ?? 500, -32603, 'Internal error');
  });
  return app;
}
