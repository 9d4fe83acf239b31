import type { Config } from '@orch/config';
import type { Logger } from '@orch/logging';

const LOOPBACK = ['127.0.0.1', 'localhost', '::1'];

/**
 * The address a front door binds. Without ORCH_API_KEYS anyone who reaches the port can spend the
 * budget, so a keyless front door binds 127.0.0.1 (and says so) unless the operator declared that a
 * proxy authenticates (ORCH_ALLOW_UNAUTHENTICATED=true).
 */
export function frontDoorHost(config: Config, logger: Logger, service: string): string {
  const host = config.server.host;
  if (config.gateway.apiKeys.length) return host;
  if (LOOPBACK.includes(host)) {
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

export const isLoopback = (host: string): boolean => LOOPBACK.includes(host);
