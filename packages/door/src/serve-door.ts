import type { Server } from 'node:http';
import { APP_READY_TEXT } from '@orch/contracts';
import type { Config } from '@orch/config';
import { installShutdown, startHealthServer } from '@orch/process';
import { frontDoorHost, listenOn, openFrontDoor, type FrontDoor } from './front-door';

export type DoorName = 'mcp-gateway' | 'rest-bridge' | 'ws-bridge';

/** What a door's app hands back to `serveDoor`: how it listens, and what to close around the door. */
export interface DoorApp {
  /** The HTTP server to listen with (none: the door serves otherwise, e.g. MCP over stdio). */
  http?: {
    server: Server;
    port: number;
    /** In logs: "the REST bridge accepts every caller…". */
    label: string;
    /** Its URL, for the ready line. */
    url: (host: string, port: number) => string;
    /** The auth it asks, for the ready line. */
    auth: string;
  };
  /** Before the door closes (WebSocket clients told to go away). */
  closeFirst?: () => Promise<void>;
  /** After the door has closed (in-process workers its requests need until then; stdio). */
  closeLast?: () => Promise<void>;
}

export interface ServeDoorOptions {
  /** Logs to stderr only (MCP over stdio: stdout is the protocol). */
  stderrOnly?: boolean;
  /** Exit anyway after this long once a shutdown began (default 30 s). */
  shutdownTimeoutMs?: (config: Config) => number;
}

/**
 * Every front door's life in one place: open it (config, logs, Redis, the orchestrator), build the
 * app on it, listen (loopback only without keys), say it is ready, serve metrics on an operator-chosen
 * address if asked, and on SIGTERM or SIGINT close in order — the app's first steps, then the door
 * (intake stopped, waiting calls finish within the grace period, driven requests handed over, never
 * cancelled), then the app's last steps. Resolves with the door and its shutdown.
 */
export async function serveDoor(
  service: DoorName,
  build: (door: FrontDoor) => DoorApp | Promise<DoorApp>,
  opts: ServeDoorOptions = {},
): Promise<{ door: FrontDoor; shutdown: (signal: string) => Promise<void> }> {
  const door = await openFrontDoor(service, opts.stderrOnly ? { stderrOnly: true } : {});
  const { config, logger } = door;
  const app = await build(door);
  let metrics: { close(): Promise<void> } | undefined;
  if (app.http) {
    const { server, port: wanted, label, url, auth } = app.http;
    const host = frontDoorHost(config, logger, label);
    const port = await listenOn(server, wanted, host, config.server.listenBacklog);
    logger.info(APP_READY_TEXT[service], { url: url(host, port), auth });
    // Metrics on an operator-chosen address of their own (a scraper on a private network, no key).
    if (config.server.metricsPort) {
      const health = await startHealthServer({ host: config.server.metricsHost, port: config.server.metricsPort, registry: door.metrics.registry, isReady: () => door.redis.status === 'ready' });
      logger.info('metrics listening', { url: `http://${config.server.metricsHost}:${health.port}/metrics` });
      metrics = health;
    }
  }
  const shutdown = installShutdown({
    logger,
    timeoutMs: opts.shutdownTimeoutMs?.(config) ?? 30_000,
    close: async () => {
      await metrics?.close();
      await app.closeFirst?.();
      await door.close(config.orchestration.shutdownGraceMs, app.http?.server);
      await app.closeLast?.();
    },
  });
  return { door, shutdown };
}
