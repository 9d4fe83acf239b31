import type { Server } from 'node:http';
import type { RedisClient } from '@orch/queue';
import { configSecrets, describeRedis, loadConfigOrExit, type Config } from '@orch/config';
import { createLogger, createScrubber, repeatedLog, type Logger } from '@orch/logging';
import { Orchestrator, type Facade } from '@orch/orchestration';
import { closeRedis, createRedis, waitForRedis } from '@orch/queue';
import { FrontDoorMetrics } from './front-door-metrics';
import { LOOPBACK_HOSTS } from './http-guards';

/** How long a stopping door waits for the answers it has begun to send (then it cuts what is left). */
const DRAIN_MS = 2_000;

export interface FrontDoor {
  config: Config;
  logger: Logger;
  /** The command connection the orchestrator uses. */
  redis: RedisClient;
  /** The facade as doors see it: calls, requests, spend and the operators' view, not the services. */
  orchestrator: Facade;
  /** This door's Prometheus metrics (tool calls, latency, refusals, queues, spend; process). */
  metrics: FrontDoorMetrics;
  /**
   * Shutdown: stops `server` taking connections, lets the calls waiting here and the requests driven
   * here run up to `graceMs` (then hands those requests to other processes), ends the connections
   * left, and closes Redis.
   */
  close(graceMs?: number, server?: Server): Promise<void>;
}

/**
 * What every front door (MCP gateway, REST and WebSocket bridges) starts with: validated config
 * (exit 1 with every invalid setting), JSON logs with secrets masked, a Redis connection that
 * answers (exit 1 otherwise), and the orchestrator facade.
 */
export async function openFrontDoor(service: string, opts: { stderrOnly?: boolean } = {}): Promise<FrontDoor> {
  const config = loadConfigOrExit(service);
  const secrets = configSecrets(config);
  const logger = createLogger({ service, level: config.logging.level, secrets, ...(opts.stderrOnly ? { stderrOnly: true } : {}) });
  // Every value this process writes to Redis (and so every text a caller reads back) is scrubbed.
  const redis = createRedis(config.redis, 'command', service, createScrubber(secrets));
  // Repeats on every reconnect attempt while Redis is away: a few lines per outage.
  const connError = repeatedLog(logger, 'warn', 'redis connection error');
  redis.on('error', (err) => connError({ err: err.message }));
  try {
    await waitForRedis(redis, 10_000, config.redis);
  } catch (err) {
    logger.error('cannot reach Redis', { redis: describeRedis(config.redis), err: (err as Error).message });
    process.exit(1);
  }
  const metrics = new FrontDoorMetrics(service);
  const orchestrator = new Orchestrator({
    config,
    redis,
    logger,
    onToolCall: (tool, outcome, seconds) => metrics.observe(tool, outcome, seconds),
    onFallback: (model, fallback) => metrics.fallbacks.inc({ model, fallback }),
  });
  // The provider queues' depths (the request drivers' queue is not a provider's backlog).
  const { requests: _drivers, ...providerQueues } = orchestrator.admin.queues();
  metrics.watch({ queues: providerQueues, spend: () => orchestrator.admin.today(1) }, logger);
  return {
    config,
    logger,
    redis,
    orchestrator,
    metrics,
    close: async (graceMs = 5_000, server?: Server) => {
      server?.close();
      await orchestrator.close(graceMs);
      if (server) await closeServer(server, DRAIN_MS);
      await closeRedis(redis);
    },
  };
}

/**
 * Listens on `host:port` (0 = any free port) with room for `backlog` connections not yet accepted (a
 * burst of thousands arrives faster than a busy event loop accepts); resolves with the port it got.
 */
export async function listenOn(server: Server, port: number, host: string, backlog: number): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port, host, backlog }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address();
  return typeof addr === 'object' && addr ? addr.port : port;
}

/**
 * Stops accepting connections and ends the open ones (long SSE streams and waiting calls would
 * otherwise hold `close` until the shutdown deadline).
 */
export async function closeServer(server: Server, drainMs = 0): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  if (drainMs > 0) {
    // Answers already on their way (a call released at shutdown with its request id) get out first.
    server.closeIdleConnections();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([closed, new Promise<void>((resolve) => (timer = setTimeout(resolve, drainMs)))]);
    clearTimeout(timer);
  }
  server.closeAllConnections();
  await closed;
}

/**
 * The address a front door binds. Without ORCH_API_KEYS anyone who reaches the port can spend the
 * budget, so a keyless front door binds 127.0.0.1 (and says so) unless the operator declared that a
 * proxy authenticates (ORCH_ALLOW_UNAUTHENTICATED=true). (Managed keys close the doors once the
 * first is created, but until then a door is open: it still binds loopback.)
 */
export function frontDoorHost(config: Config, logger: Logger, service: string): string {
  const host = config.server.host;
  if (config.gateway.apiKeys.length) return host;
  if (LOOPBACK_HOSTS.includes(host)) {
    logger.warn(`no ORCH_API_KEYS: the ${service} accepts every caller, so it listens on ${host} only; set keys to serve other hosts`);
    return host;
  }
  if (config.gateway.allowUnauthenticated) {
    logger.warn(`no ORCH_API_KEYS and ORCH_ALLOW_UNAUTHENTICATED=true: the ${service} serves ${host} without auth; anyone who reaches it can spend your budget`);
    return host;
  }
  logger.warn(`no ORCH_API_KEYS: the ${service} listens on 127.0.0.1, not ${host}; set ORCH_API_KEYS (or ORCH_ALLOW_UNAUTHENTICATED=true behind an authenticating proxy)`);
  return '127.0.0.1';
}
