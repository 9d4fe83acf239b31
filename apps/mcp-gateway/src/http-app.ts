import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import { createMcpHandler, isLegacyRequest, type AuthInfo, type Server } from '@modelcontextprotocol/server';
import { toNodeHandler, toWebRequest } from '@modelcontextprotocol/node';
import type { Logger } from '@orch/logging';
import type { Caller } from '@orch/orchestration';
import { bearer, metricsAllowed, METRICS_REFUSAL } from '@orch/orchestration';
import { checkJsonDepth, hostAllowed, malformedRequest, originAllowed, originRefusal, writeError, writeRpcError } from '@orch/door';
import type { ErrorCode } from '@orch/contracts';
import type { Registry } from 'prom-client';
import { invalidParams } from './request-check';

export interface HttpAppDeps {
  /** A fresh MCP server for one request (stateless, either protocol era). */
  createServer: (caller: Caller, era: 'legacy' | 'modern') => Server;
  logger: Logger;
  /** The caller a bearer key identifies (Orchestrator.authenticate), or undefined: refuse it. */
  authenticate: (presented: string | undefined, fileAccess: boolean) => Promise<Caller | undefined>;
  allowedOrigins: readonly string[];
  /** Host header values accepted besides the loopback names. */
  allowedHosts: readonly string[];
  /** The operators' key: it may read /metrics (ORCH_ADMIN_KEY). */
  adminKey?: string;
  isReady: () => Promise<boolean>;
  maxBodyBytes?: number;
  /** Served at /metrics (behind the key when keys are set). */
  registry?: Registry;
}

/** A refusal as a JSON-RPC error (see writeRpcError): `code` ours, `rpc` JSON-RPC's where ours does not say it. */
const rpcError = (res: Response, code: ErrorCode, message: string, opts: { rpc?: number; status?: number; retryAfter?: number } = {}) =>
  writeRpcError(res, { code, message, retryable: code === 'unavailable', ...(opts.retryAfter ? { details: { retry_after_seconds: opts.retryAfter } } : {}) }, opts);

/** The caller a request was authenticated as, carried to the server factory as the SDK's AuthInfo. */
const authInfo = (caller: Caller): AuthInfo => ({ token: '', clientId: caller.id, scopes: [], extra: { caller } });
const callerOf = (info: AuthInfo | undefined): Caller => info?.extra?.caller as Caller;

/**
 * Streamable HTTP at /mcp, stateless in both protocol eras: a 2026-07-28 request (its version in
 * `_meta`) and a 2025 request (after `initialize`) are each served by a new server from one factory,
 * so any replica can serve any call (no sticky sessions; state lives in Redis). The SDK's handler
 * owns the era decision, `server/discover`, the version errors and result stamping; this app puts
 * in front of it what the SDK leaves to its user: DNS-rebinding defences (Host allow-list, Origin
 * allow-list (403), loopback bind by default), bearer keys, body limits and readable errors.
 */
export function createHttpApp(deps: HttpAppDeps): Express {
  const onerror = (err: Error) => deps.logger.debug('MCP request refused', { err: err.message });
  const maxBody = deps.maxBodyBytes ?? 4 * 1024 * 1024;
  const mcp = toNodeHandler(createMcpHandler((ctx) => deps.createServer(callerOf(ctx.authInfo), ctx.era), { legacy: 'stateless', onerror, maxRequestBodySize: maxBody }), {
    maxRequestBodySize: maxBody,
    onerror: (err) => deps.logger.error('MCP request failed', { err: err.stack ?? String(err) }),
  });
  const hostCheck = (req: Request, res: Response, next: NextFunction) =>
    hostAllowed(req.headers.host, deps.allowedHosts) ? next() : rpcError(res, 'forbidden', `Forbidden: Host ${JSON.stringify(req.headers.host ?? '')} is not served here (ORCH_ALLOWED_HOSTS)`);
  const app = express();
  app.disable('x-powered-by');
  app.get('/healthz', (_req, res) => void res.json({ status: 'ok' }));
  app.get('/readyz', (_req, res) => {
    void deps.isReady().then((ready) => res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not_ready' }));
  });

  // Metrics name models, tools and every caller's spend: the admin key, or a keyless door's own user.
  // (ORCH_METRICS_PORT serves them apart, without a key, for a scraper on a private network.)
  const registry = deps.registry;
  if (registry) {
    app.get('/metrics', hostCheck, async (req: Request, res: Response) => {
      if (!(await metricsAllowed(req.headers.authorization, deps.adminKey, (k) => deps.authenticate(k, true)).catch(() => false))) {
        res.setHeader('WWW-Authenticate', 'Bearer realm="mcp-orchestrator"');
        return void writeError(res, { code: 'unauthorized', message: METRICS_REFUSAL, retryable: false });
      }
      res.type(registry.contentType).send(await registry.metrics());
    });
  }
  app.use('/mcp', hostCheck);
  app.use('/mcp', (req: Request, res: Response, next: NextFunction) => {
    const origin = req.headers.origin;
    if (origin) {
      if (!originAllowed(origin, deps.allowedOrigins, req.headers.host)) return void rpcError(res, 'forbidden', `Forbidden: ${originRefusal(origin, deps.logger, 'mcp-gateway')}`);
    }
    next();
  });
  app.use('/mcp', (req: Request, res: Response, next: NextFunction) => {
    deps.authenticate(bearer(req.headers.authorization), true).then(
      (caller) => {
        if (!caller) {
          res.setHeader('WWW-Authenticate', 'Bearer realm="mcp-orchestrator"');
          return void rpcError(res, 'unauthorized', 'Unauthorized: send Authorization: Bearer <key>');
        }
        res.locals.caller = caller;
        next();
      },
      () => void rpcError(res, 'unavailable', 'Service unavailable: Redis cannot be reached; retry shortly', { retryAfter: 2 }),
    );
  });
  app.post('/mcp', express.json({ limit: maxBody, verify: (_req, _res, buf) => checkJsonDepth(buf) }), async (req: Request, res: Response) => {
    // 2025 era, stateless: we never issue session ids, so any id a client sends is unknown (spec:
    // 404). The 2026-07-28 path ignores the header, as its spec says.
    if (req.headers['mcp-session-id'] && (await isLegacyRequest(await toWebRequest(req, req.body), req.body))) return void rpcError(res, 'not_found', 'Session not found', { rpc: -32001 });
    const bad = invalidParams(req.body);
    if (bad) return void res.json(bad);
    (req as Request & { auth?: AuthInfo }).auth = authInfo(res.locals.caller as Caller);
    await mcp(req, res, req.body);
  });
  app.all('/mcp', (_req, res) => {
    res.setHeader('Allow', 'POST');
    rpcError(res, 'not_found', 'Method not allowed: this server is stateless in both protocol eras; POST JSON-RPC messages to /mcp', { status: 405 });
  });
  // Malformed JSON and oversized bodies: a JSON-RPC error, never a stack trace.
  app.use((err: Error & { status?: number; type?: string }, _req: Request, res: Response, next: NextFunction) => {
    void next;
    if (err.type === 'entity.too.large') return void rpcError(res, 'payload_too_large', 'Request body too large', { rpc: -32600 });
    if (err.type === 'entity.parse.failed') return void rpcError(res, 'invalid_arguments', 'Parse error: the body is not valid JSON', { rpc: -32700 });
    const bad = malformedRequest(err);
    if (bad) return void writeRpcError(res, { ...bad.error, message: `${bad.status === 415 ? 'Parse error' : 'Invalid request'}: ${bad.error.message}` }, { rpc: bad.status === 415 ? -32700 : -32600, status: bad.status });
    deps.logger.error('HTTP error', { err: err.stack ?? String(err) });
    rpcError(res, 'internal', 'Internal error');
  });
  return app;
}
