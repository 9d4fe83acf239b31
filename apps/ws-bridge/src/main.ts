import { APP_READY_TEXT } from '@orch/contracts';
import { frontDoorHost, listenOn, openFrontDoor } from '@orch/orchestration';
import { installShutdown, startHealthServer } from '@orch/worker';
import { createWsBridge } from './bridge';

async function main(): Promise<void> {
  const door = await openFrontDoor('ws-bridge');
  const { config, logger } = door;
  const registry = door.metrics.registry;
  const host = frontDoorHost(config, logger, 'WebSocket bridge');
  const bridge = createWsBridge({
    orchestrator: door.orchestrator,
    logger,
    allowedOrigins: config.gateway.allowedOrigins,
    allowedHosts: config.gateway.allowedHosts,
    adminKey: config.gateway.adminKey,
    limits: config.ws,
    registry,
    isReady: async () => door.redis.status === 'ready',
  });
  const port = await listenOn(bridge.server, config.server.wsPort, host, config.server.listenBacklog);
  logger.info(APP_READY_TEXT['ws-bridge'], { url: `ws://${host}:${port}`, auth: config.gateway.apiKeys.length ? 'bearer keys (header or auth message)' : 'none' });
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
      // Clients are told to go away (1001) and resubscribe elsewhere; requests driven here are
      // handed over to other processes, never cancelled.
      await bridge.close();
      await door.close(config.orchestration.shutdownGraceMs);
    },
  });
}

void main().catch((err) => {
  process.stderr.write(`${JSON.stringify({ level: 'error', service: 'ws-bridge', message: 'failed to start', err: (err as Error).message })}\n`);
  process.exit(1);
});
