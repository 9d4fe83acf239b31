import type { Registry } from 'prom-client';
import type { Facade } from '@orch/orchestration';
import type { Logger } from '@orch/logging';

/** What the REST bridge is built from (createRestApp); its guards and routes take what they need of it. */
export interface RestAppDeps {
  orchestrator: Facade;
  logger: Logger;
  allowedOrigins: readonly string[];
  /** Host header values accepted besides the loopback names (ORCH_ALLOWED_HOSTS; `*` for any). */
  allowedHosts: readonly string[];
  /** How long a synchronous call waits before answering 202 with the request id. */
  syncWaitMs: number;
  registry?: Registry;
  /** ORCH_ADMIN_KEY: the operators' pages (/admin/queues); off when unset. */
  adminKey?: string;
  /** bull-board may retry, add and clean jobs (ORCH_ADMIN_QUEUE_WRITES); read-only otherwise. */
  adminQueueWrites?: boolean;
  isReady: () => Promise<boolean>;
  maxBodyBytes?: number;
  version?: string;
}
