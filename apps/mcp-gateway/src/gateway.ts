import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import { serveStdio, type StdioServerHandle } from '@modelcontextprotocol/server/stdio';
import { serveDoor } from '@orch/door';
import { callerForKey, type Caller } from '@orch/orchestration';
import { startProviderWorker, type ProviderWorker } from '@orch/worker';

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
  const workers: ProviderWorker[] = [];
  let stdio: StdioServerHandle | undefined;
  const { door, shutdown } = await serveDoor(
    'mcp-gateway',
    async (door) => {
      const { config, logger, redis, orchestrator } = door;
      if (opts.withWorkers || config.gateway.runWorkers) {
        for (const queue of ['openrouter', 'openai'] as const) workers.push(await startProviderWorker({ config, queue, logger, health: false }));
        logger.info('provider workers running in this process');
      }
      const progressIntervalMs = config.orchestration.progressIntervalMs;
      const taskTtlMs = config.queue.requestTtlSeconds * 1000;
      // Replicas must share it (MCP_STATE_SECRET): a round's state may come back to another replica.
      const stateKey = config.gateway.stateSecret ?? randomBytes(32).toString('base64url');
      const serverFor = (caller: Caller, era: 'legacy' | 'modern') => createMcpServer({ orchestrator, caller, era, logger, progressIntervalMs, taskTtlMs, stateKey, version: VERSION, ...(extras ? { extras } : {}) });
      // Calls waiting here may finish within the grace period; requests driven here are handed over
      // to other processes after it (never cancelled). In-process workers outlive the front door:
      // its running requests need them until it closes.
      const closeLast = async () => {
        await stdio?.close();
        await Promise.all(workers.map((w) => w.close()));
      };
      if (!http) {
        const caller = callerForKey(undefined, [], true)!;
        // The first message decides the era for the connection: `server/discover` or a request with
        // the 2026-07-28 `_meta` envelope (modern), or `initialize` (2025).
        stdio = serveStdio(({ era }) => serverFor(caller, era), {
          onerror: (err) => logger.debug('MCP stdio message refused', { err: err.message }),
          transport: checkedStdioTransport(),
        });
        return { closeLast };
      }
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
      const server = createServer(app);
      // Calls can outlive default Node timeouts: the sync window plus margin.
      server.requestTimeout = 0;
      server.headersTimeout = 60_000;
      return {
        http: { server, port: config.server.mcpHttpPort, label: 'MCP HTTP gateway', url: (host, port) => `http://${host}:${port}/mcp`, auth: config.gateway.apiKeys.length ? 'bearer keys' : 'none' },
        closeLast,
      };
    },
    // In-process workers may need their own shutdown time on top of the door's.
    { stderrOnly: !http, shutdownTimeoutMs: (config) => config.worker.shutdownTimeoutMs + 15_000 },
  );
  if (!http) {
    door.logger.info('MCP stdio server ready');
    // Claude closes stdin when it is done with us.
    process.stdin.once('end', () => void shutdown('SIGTERM'));
  }
}
