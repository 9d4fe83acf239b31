import { APP_READY_TEXT } from '@orch/contracts';
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { serveStdio, type StdioServerHandle } from '@modelcontextprotocol/server/stdio';
import { callerForKey, frontDoorHost, listenOn, openFrontDoor, type Caller } from '@orch/orchestration';
import { installShutdown, startHealthServer, startProviderWorker, type ProviderWorker } from '@orch/worker';

import { createHttpApp } from './http-app';
import { checkedStdioTransport } from './request-check';
import { createMcpServer, type ServerExtras } from './mcp-server';

export const VERSION = '0.1.0';

export interface GatewayOptions {
  /** Streamable HTTP (else stdio). */
  http: boolean;
  /** Run the provider workers in this process too. */
  withWorkers: boolean;
  /** More surface on every server (the conformance fixture only). */
  extras?: ServerExtras;
}

/** Opens the front door and serves MCP on HTTP or stdio until SIGTERM (or stdin's end). */
export async function runGateway(opts: GatewayOptions): Promise<void> {
  const { http, extras } = opts;
  const door = await openFrontDoor('mcp-gateway', { stderrOnly: !http });
  const { config, logger, redis, orchestrator } = door;
  const workers: ProviderWorker[] = [];
  if (opts.withWorkers || config.gateway.runWorkers) {
    for (const queue of ['openrouter', 'openai'] as const) workers.push(await startProviderWorker({ config, queue, logger, health: false }));
    logger.info('provider workers running in this process');
  }
  const progressIntervalMs = config.orchestration.progressIntervalMs;
  const taskTtlMs = config.queue.requestTtlSeconds * 1000;
  // Replicas must share it (MCP_STATE_SECRET): a round's state may come back to another replica.
  const stateKey = config.gateway.stateSecret ?? randomBytes(32).toString('base64url');
  const serverFor = (caller: Caller, era: 'legacy' | 'modern') => createMcpServer({ orchestrator, caller, era, logger, progressIntervalMs, taskTtlMs, stateKey, version: VERSION, ...(extras ? { extras } : {}) });

  let httpServer: Server | undefined;
  let metricsServer: { close(): Promise<void> } | undefined;
  let stdio: StdioServerHandle | undefined;
  if (http) {
    const host = frontDoorHost(config, logger, 'MCP HTTP gateway');
    const app = createHttpApp({
      createServer: serverFor,
      logger,
      authenticate: (presented, fileAccess) => orchestrator.authenticate(presented, fileAccess),
      allowedOrigins: config.gateway.allowedOrigins,
      allowedHosts: config.gateway.allowedHosts,
      adminKey: config.gateway.adminKey,
      isReady: async () => redis.status === 'ready' && workers.every((w) => w.isReady()),
      registry: door.metrics.registry,
    });
    httpServer = createServer(app);
    // Calls can outlive default Node timeouts: the sync window plus margin.
    httpServer.requestTimeout = 0;
    httpServer.headersTimeout = 60_000;
    const port = await listenOn(httpServer, config.server.mcpHttpPort, host, config.server.listenBacklog);
    logger.info(APP_READY_TEXT['mcp-gateway'], { url: `http://${host}:${port}/mcp`, auth: config.gateway.apiKeys.length ? 'bearer keys' : 'none' });
    // Metrics on an operator-chosen address of their own (a scraper on a private network, no key).
    if (config.server.metricsPort) {
      metricsServer = await startHealthServer({ host: config.server.metricsHost, port: config.server.metricsPort, registry: door.metrics.registry, isReady: () => redis.status === 'ready' });
      logger.info('metrics listening', { url: `http://${config.server.metricsHost}:${config.server.metricsPort}/metrics` });
    }
  } else {
    const caller = callerForKey(undefined, [], true)!;
    // The first message decides the era for the connection: `server/discover` or a request with
    // the 2026-07-28 `_meta` envelope (modern), or `initialize` (2025).
    stdio = serveStdio(({ era }) => serverFor(caller, era), {
      onerror: (err) => logger.debug('MCP stdio message refused', { err: err.message }),
      transport: checkedStdioTransport(),
    });
    logger.info('MCP stdio server ready');
  }

  const shutdown = installShutdown({
    logger,
    timeoutMs: config.worker.shutdownTimeoutMs + 15_000,
    close: async () => {
      // Calls waiting here may finish within the grace period; requests driven here are handed over
      // to other processes after it (never cancelled). In-process workers outlive the front door:
      // its running requests need them until it closes.
      await metricsServer?.close();
      await door.close(config.orchestration.shutdownGraceMs, httpServer);
      await stdio?.close();
      await Promise.all(workers.map((w) => w.close()));
    },
  });
  // Claude closes stdin when it is done with us.
  if (!http) process.stdin.once('end', () => void shutdown('SIGTERM'));
}

