import { Registry, collectDefaultMetrics } from 'prom-client';
import { configSecrets, loadConfigOrExit } from '@orch/config';
import { createLogger } from '@orch/logging';
import { closeRedis, createRedis, waitForRedis } from '@orch/queue';
import { Orchestrator, frontDoorHost } from '@orch/orchestration';
import { installShutdown } from '@orch/worker';
import { createWsBridge } from './bridge';

async function main(): Promise<void> {
  const config = loadConfigOrExit('ws-bridge');
  const logger = createLogger({ service: 'ws-bridge', level: config.logging.level, secrets: configSecrets(config) });
  const redis = createRedis(config.redis.url, 'command', 'ws-bridge');
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
  const bridge = createWsBridge({
    orchestrator,
    logger,
    apiKeys: config.gateway.apiKeys,
    allowedOrigins: config.gateway.allowedOrigins,
    limits: config.ws,
    registry,
    isReady: async () => redis.status === 'ready',
  });
  const host = frontDoorHost(config, logger, 'WebSocket bridge');
  await new Promise<void>((resolve, reject) => bridge.server.listen(config.server.wsPort, host, () => resolve()).on('error', reject));
  const addr = bridge.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : config.server.wsPort;
  logger.info('WebSocket bridge listening', { url: `ws://${host}:${port}`, auth: config.gateway.apiKeys.length ? 'bearer keys (header or auth message)' : 'none' });
  installShutdown({
    logger,
    timeoutMs: 30_000,
    close: async () => {
      await bridge.close();
      await orchestrator.close(5_000);
      await closeRedis(redis);
    },
  });
}

void main().catch((err) => {
  process.stderr.write(`${JSON.stringify({ level: 'error', service: 'ws-bridge', message: 'failed to start', err: (err as Error).message })}\n`);
  process.exit(1);
});
