import type { Server } from 'node:http';
import { Registry, collectDefaultMetrics } from 'prom-client';
import { configSecrets, loadConfigOrExit } from '@orch/config';
import { createLogger } from '@orch/logging';
import { closeRedis, createRedis, waitForRedis } from '@orch/queue';
import { Orchestrator, frontDoorHost } from '@orch/orchestration';
import { installShutdown } from '@orch/worker';
import { createRestApp } from './app';

async function main(): Promise<void> {
  const config = loadConfigOrExit('rest-bridge');
  const logger = createLogger({ service: 'rest-bridge', level: config.logging.level, secrets: configSecrets(config) });
  const redis = createRedis(config.redis.url, 'command', 'rest-bridge');
  redis.on('error', (err) => logger.warn('redis connection error', { err: err.message }));
  try {
    await waitForRedis(redis);
  } catch (err) {
    logger.error('cannot reach Redis', { err: (err as Error).message });
    process.exit(1);
  }
  const orchestrator = new Orchestrator({ config, redis, logger });
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const app = createRestApp({
    orchestrator,
    logger,
    apiKeys: config.gateway.apiKeys,
    allowedOrigins: config.gateway.allowedOrigins,
    syncWaitMs: config.orchestration.syncWaitSeconds * 1000,
    registry,
    isReady: async () => redis.status === 'ready',
  });
  const host = frontDoorHost(config, logger, 'REST bridge');
  const server = await new Promise<Server>((resolve, reject) => {
    const s = app.listen(config.server.restPort, host, () => resolve(s)).on('error', reject);
  });
  server.requestTimeout = 0;
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : config.server.restPort;
  logger.info('REST bridge listening', { url: `http://${host}:${port}`, auth: config.gateway.apiKeys.length ? 'bearer keys' : 'none' });
  installShutdown({
    logger,
    timeoutMs: 30_000,
    close: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await orchestrator.close(5_000);
      await closeRedis(redis);
    },
  });
}

void main().catch((err) => {
  process.stderr.write(`${JSON.stringify({ level: 'error', service: 'rest-bridge', message: 'failed to start', err: (err as Error).message })}\n`);
  process.exit(1);
});
