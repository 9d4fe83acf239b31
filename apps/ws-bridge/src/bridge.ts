import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { Gauge, type Registry } from 'prom-client';
import { TOOL_NAMES, WS_CLOSE, WS_CONTROL_METHODS, WS_PROTOCOL_VERSION, toErrorInfo, type ErrorInfo } from '@orch/contracts';
import { TOOL_DOCS, bearer, metricsAllowed, METRICS_REFUSAL, listModelsOutput, type Facade } from '@orch/orchestration';
import { closeServer, hostAllowed, originAllowed, originRefusal, refuseUpgrade, writeError, writeFailure, writeJson } from '@orch/door';
import type { Logger } from '@orch/logging';
import { WsSession, type SessionAuth, type SessionLimits } from './session';

export interface WsBridgeDeps {
  orchestrator: Facade;
  logger: Logger;
  allowedOrigins: readonly string[];
  /** Host header values accepted besides the loopback names (ORCH_ALLOWED_HOSTS; `*` for any). */
  allowedHosts: readonly string[];
  /** The operators' key: it may read /metrics (ORCH_ADMIN_KEY). */
  adminKey?: string;
  limits: SessionLimits & { heartbeatMs: number };
  registry?: Registry;
  isReady: () => Promise<boolean>;
  version?: string;
}

export interface WsBridge {
  server: Server;
  sessions(): number;
  /** Closes every socket with 1001 (clients reconnect and resubscribe elsewhere), then the server. */
  close(): Promise<void>;
}

/** A refusal of this door's (the WebSocket protocol's own errors are the session's). */
const refusal = (code: 'forbidden' | 'unauthorized' | 'not_found', message: string): ErrorInfo => ({ code, message, retryable: false });
const hostRefusal = (host: string | undefined) => refusal('forbidden', `Host ${String(host ?? '(none)').slice(0, 100)} is not allowed; add it to ORCH_ALLOWED_HOSTS`);

/**
 * The WebSocket bridge on one HTTP server: `/healthz`, `/readyz`, `/metrics` over plain HTTP, and
 * WebSocket upgrades on any other path. Origin and key checks happen at the upgrade, so a refused
 * browser never gets a socket.
 */
export function createWsBridge(deps: WsBridgeDeps): WsBridge {
  const sessions = new Set<WsSession>();
  const connections = deps.registry ? new Gauge({ name: 'ws_connections', help: 'Open WebSocket connections', registers: [deps.registry] }) : undefined;
  const subscriptions = deps.registry ? new Gauge({ name: 'ws_subscriptions', help: 'Requests followed by WebSocket clients', registers: [deps.registry] }) : undefined;
  const config = deps.orchestrator.config;
  const welcome = {
    type: 'welcome' as const,
    server: 'mcp-orchestrator',
    version: deps.version ?? '0.1.0',
    protocol: WS_PROTOCOL_VERSION,
    tools: TOOL_NAMES.map((name) => ({ name, description: TOOL_DOCS[name].description })),
    models: listModelsOutput(config).models.map((m) => ({ key: m.key, model_id: m.model_id, provider: m.provider, description: m.description })),
    methods: [...TOOL_NAMES, ...WS_CONTROL_METHODS],
    limits: { max_message_bytes: deps.limits.maxMessageBytes, rate_limit: { points: config.gateway.rateLimit.points, window_seconds: config.gateway.rateLimit.windowSeconds } },
  };

  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/healthz') return writeJson(res, 200, { status: 'ok', connections: sessions.size });
    if (path === '/readyz') return void deps.isReady().then((ok) => writeJson(res, ok ? 200 : 503, { status: ok ? 'ready' : 'not_ready' }));
    // Probes above answer whatever the Host; the rest refuses DNS-rebound names.
    if (!hostAllowed(req.headers.host, deps.allowedHosts)) return writeError(res, hostRefusal(req.headers.host));
    if (path === '/metrics' && deps.registry) {
      // Metrics name models, tools and every caller's spend: the admin key, or a keyless door's own user.
      return void metricsAllowed(req.headers.authorization, deps.adminKey, (k) => deps.orchestrator.authenticate(k, false)).then(async (ok) => {
        if (!ok) return writeError(res, refusal('unauthorized', METRICS_REFUSAL));
        const text = await deps.registry!.metrics();
        res.writeHead(200, { 'Content-Type': deps.registry!.contentType });
        res.end(text);
      }, (err: unknown) => writeFailure(res, err, deps.logger));
    }
    writeError(res, refusal('not_found', 'This is the WebSocket bridge: connect with ws://host:port/'), { status: 426 });
  });

  // maxPayload is the hard stop (the socket closes with 1009); the session answers anything over
  // the soft limit with a payload_too_large error and keeps the socket.
  const wss = new WebSocketServer({ noServer: true, maxPayload: deps.limits.maxMessageBytes * 4, perMessageDeflate: false });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => undefined);
    if (!hostAllowed(req.headers.host, deps.allowedHosts)) return refuseUpgrade(socket, hostRefusal(req.headers.host));
    const origin = req.headers.origin;
    if (origin && !originAllowed(origin, deps.allowedOrigins, req.headers.host)) return refuseUpgrade(socket, refusal('forbidden', originRefusal(origin, deps.logger, 'ws-bridge')));
    // A header key must be right; without one, the first message may authenticate (browsers).
    const header = req.headers.authorization;
    const presented = bearer(header);
    deps.orchestrator.authenticate(presented, false).then(
      (caller) => {
        if (header !== undefined && !caller) return refuseUpgrade(socket, refusal('unauthorized', 'Wrong key in the Authorization header'));
        accept(req, socket, head, caller ? { caller, presented } : undefined);
      },
      (err: unknown) => refuseUpgrade(socket, toErrorInfo(err)),
    );
  });
  const accept = (req: IncomingMessage, socket: Duplex, head: Buffer, auth: SessionAuth | undefined) => {
    wss.handleUpgrade(req, socket, head, (ws: WebSocket) => {
      connections?.inc();
      const session = new WsSession(ws, { ...deps, welcome, onSubscriptionCount: (d) => subscriptions?.inc(d) }, auth);
      sessions.add(session);
      ws.on('close', () => {
        sessions.delete(session);
        connections?.dec();
      });
    });
  };

  // Heartbeats: a socket that has not answered the previous ping is dead; drop it.
  const heartbeat = setInterval(() => {
    for (const s of sessions) {
      if (!s.alive) {
        s.close(WS_CLOSE.goingAway, 'heartbeat timeout', true);
        continue;
      }
      s.alive = false;
      s.ping();
    }
  }, deps.limits.heartbeatMs);
  heartbeat.unref();

  return {
    server,
    sessions: () => sessions.size,
    close: async () => {
      clearInterval(heartbeat);
      for (const s of sessions) s.close(WS_CLOSE.goingAway, 'server shutting down');
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      await closeServer(server);
    },
  };
}
