import { createServer } from 'node:http';
import { serveDoor } from '@orch/door';
import { createRestApp } from './app';

void serveDoor('rest-bridge', (door) => {
  const { config, logger } = door;
  const app = createRestApp({
    orchestrator: door.orchestrator,
    logger,
    allowedOrigins: config.gateway.allowedOrigins,
    allowedHosts: config.gateway.allowedHosts,
    syncWaitMs: config.orchestration.syncWaitSeconds * 1000,
    registry: door.metrics.registry,
    adminKey: config.gateway.adminKey,
    adminQueueWrites: config.gateway.adminQueueWrites,
    isReady: async () => door.redis.status === 'ready',
  });
  const server = createServer(app);
  server.requestTimeout = 0;
  // Calls waiting here may finish within the grace period; their requests go on elsewhere after it,
  // never cancelled (serveDoor's shutdown).
  return {
    http: { server, port: config.server.restPort, label: 'REST bridge', url: (host, port) => `http://${host}:${port}`, auth: config.gateway.apiKeys.length ? 'bearer keys' : 'none' },
  };
}).catch((err: unknown) => {
  process.stderr.write(`${JSON.stringify({ level: 'error', service: 'rest-bridge', message: 'failed to start', err: (err as Error).message })}\n`);
  process.exit(1);
});
