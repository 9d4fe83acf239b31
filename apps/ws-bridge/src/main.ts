import { serveDoor } from '@orch/door';
import { createWsBridge } from './bridge';

void serveDoor('ws-bridge', (door) => {
  const { config, logger } = door;
  const bridge = createWsBridge({
    orchestrator: door.orchestrator,
    logger,
    allowedOrigins: config.gateway.allowedOrigins,
    allowedHosts: config.gateway.allowedHosts,
    adminKey: config.gateway.adminKey,
    limits: config.ws,
    registry: door.metrics.registry,
    isReady: async () => door.redis.status === 'ready',
  });
  return {
    http: { server: bridge.server, port: config.server.wsPort, label: 'WebSocket bridge', url: (host, port) => `ws://${host}:${port}`, auth: config.gateway.apiKeys.length ? 'bearer keys (header or auth message)' : 'none' },
    // Clients are told to go away (1001) and resubscribe elsewhere; requests driven here are handed
    // over to other processes, never cancelled.
    closeFirst: () => bridge.close(),
  };
}).catch((err: unknown) => {
  process.stderr.write(`${JSON.stringify({ level: 'error', service: 'ws-bridge', message: 'failed to start', err: (err as Error).message })}\n`);
  process.exit(1);
});
