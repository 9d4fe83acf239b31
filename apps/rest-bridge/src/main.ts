import { APP_READY_TEXT } from '@orch/contracts';
import { createServer } from 'node:http';
import { frontDoorHost, listenOn, openFrontDoor } from '@orch/orchestration';
import { installShutdown, startHealthServer } from '@orch/worker';
import { createRestApp } from './app';

async function main(): Promise<void> {
  const door = await openFrontDoor('rest-bridge');
  const { config, logger } = door;
  const registry = door.metrics.registry;
  const host = frontDoorHost(config, logger, 'REST bridge');
  const app = createRestApp({
    orchestrator: door.orchestrator,
    logger,
    allowedOrigins: config.gateway.allowedOrigins,
    allowedHosts: config.gateway.allowedHosts,
    syncWaitMs: config.orchestration.syncWaitSeconds * 1000,
    registry,
    adminKey: config.gateway.adminKey,
    adminQueueWrites: config.gateway.adminQueueWrites,
    isReady: async () => door.redis.status === 'ready',
  });
  const server = createServer(app);
  server.requestTimeout = 0;
  const port = await listenOn(server, config.server.restPort, host, config.server.listenBacklog);
  logger.info(APP_READY_TEXT['rest-bridge'], { url: `http://${host}:${port}`, auth: config.gateway.apiKeys.length ? 'bearer keys' : 'none' });
  // Metrics on an operator-chosen address of their own (a scraper on a private network, no key).
  const metrics = config.server.metricsPort
    ? await startHealthServer({ host: config.server.metricsHost, port: config.server.metricsPort, registry, isReady: () => door.redis.status === 'ready' })
    : undefined;
  if (metrics) logger.info('metrics listening', { url: `http://${config.server.metricsHost}:${metrics.port}/metrics` });
  installShutdown({
    logger,
    timeoutMs: 30_000,
    close: async () => {
      await metrics?.close();
      // Calls waiting here may finish within the grace period; their requests go on elsewhere after
      // it, never cancelled.
      await door.close(config.orchestration.shutdownGraceMs, server);
    },
  });
}

void main().catch((err) => {
  process.stderr.write(`${JSON.stringify({ level: 'error', service: 'rest-bridge', message: 'failed to start', err: (err as Error).message })}\n`);
  process.exit(1);
});
