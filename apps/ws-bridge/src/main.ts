import { Registry, collectDefaultMetrics } from 'prom-client';
import { frontDoorHost, listenOn, openFrontDoor } from '@orch/orchestration';
import { installShutdown } from '@orch/worker';
import { createWsBridge } from './bridge';

async function main(): Promise<void> {
  const door = await openFrontDoor('ws-bridge');
  const { config, logger } = door;
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const bridge = createWsBridge({
    orchestrator: door.orchestrator,
    logger,
    apiKeys: config.gateway.apiKeys,
    allowedOrigins: config.gateway.allowedOrigins,
    allowedHosts: config.gateway.allowedHosts,
    limits: config.ws,
    registry,
    isReady: async () => door.redis.status === 'ready',
  });
  const host = frontDoorHost(config, logger, 'WebSocket bridge');
  const port = await listenOn(bridge.server, config.server.wsPort, host);
  logger.info('WebSocket bridge listening', { url: `ws://${host}:${port}`, auth: config.gateway.apiKeys.length ? 'bearer keys (header or auth message)' : 'none' });
  installShutdown({
    logger,
    timeoutMs: 30_000,
    close: async () => {
      await bridge.close();
      await door.close();
    },
  });
}

void main().catch((err) => {
  process.stderr.write(`${JSON.stringify({ level: 'error', service: 'ws-bridge', message: 'failed to start', err: (err as Error).message })}\n`);
  process.exit(1);
});
