import { hostname } from 'node:os';
import { Worker } from 'bullmq';
import { ABORT_REASON, APP_READY_TEXT, type ModelCallPayload, type ModelCallResult, type QueueKey } from '@orch/contracts';
import { configSecrets, ledgerRetention, modelsOnQueue, type Config } from '@orch/config';
import { createScrubber, repeatedLog, type Logger } from '@orch/logging';
import { ModelClient } from '@orch/providers';
import { setWorkerConcurrency, startLoadGuard } from './load-guard';
import { PriceBook, RequestEvents, closeRedis, createRedis, isCancelled, isCluster, providerBackoff, queueName, subscribeCancellations, waitForRedis, type RedisClient } from '@orch/queue';
import { Ledger, REPLICAS_SHORT } from '@orch/ledger';
import { startHealthServer } from '@orch/process';
import { createLedgerSpendGuard } from './ledger-spend-guard';
import { createWorkerMetrics, type WorkerMetrics } from './metrics';
import { budgetAlerter } from './budget-alerts';
import { createModelCallProcessor, type ActiveCalls } from './model-call-job';
import type { SpendGuard } from './spend-guard';

/** How often a worker reads the cancel flags of the requests it has calls in flight for (pub/sub may miss one). */
const CANCEL_CHECK_MS = 3000;

export interface ProviderWorkerOptions {
  config: Config;
  queue: QueueKey;
  logger: Logger;
  /** Spend control; the Redis ledger with the configured limits by default. */
  spendGuard?: SpendGuard;
  modelClient?: ModelClient;
  /** Health/metrics server; `false` to skip it (tests), port 0 for a free port. */
  health?: { port?: number; host?: string } | false;
  /** How long to wait for Redis at start. */
  redisTimeoutMs?: number;
}

export interface ProviderWorker {
  worker: Worker<ModelCallPayload, ModelCallResult>;
  metrics: WorkerMetrics;
  ledger: Ledger;
  healthPort: number | undefined;
  isReady(): boolean;
  /** Stop taking jobs, let active ones finish (or hand them back after the deadline), close. */
  close(): Promise<void>;
}

/**
 * Starts the provider-worker runtime for one queue: takes model-call jobs, calls the provider
 * through the shared ModelClient, streams throttled partial text to the request's event stream,
 * settles spend and records the result. No job is taken before Redis answers.
 */
export async function startProviderWorker(opts: ProviderWorkerOptions): Promise<ProviderWorker> {
  const { config, queue, logger } = opts;
  const client = opts.modelClient ?? new ModelClient({ config, logger });
  const ownsClient = !opts.modelClient;
  const metrics = createWorkerMetrics(queue);
  // Every value written to Redis (results, events, BullMQ failure reasons) is scrubbed of secrets:
  // a provider error that echoes our key stops here.
  const scrub = createScrubber(configSecrets(config));
  const workerConn = createRedis(config.redis, 'blocking', `worker-${queue}`, scrub);
  const cmd = createRedis(config.redis, 'command', `worker-${queue}-cmd`, scrub);
  const subscriber = createRedis(config.redis, 'subscriber', `worker-${queue}-cancel`);
  // Errors that repeat while Redis is away (every reconnect, every retry) are logged a few lines per outage.
  const connError = repeatedLog(logger, 'warn', 'redis connection error');
  for (const conn of [workerConn, cmd, subscriber]) conn.on('error', (err) => connError({ err: err.message }));
  const events = new RequestEvents({ redis: cmd, ttlSeconds: config.queue.requestTtlSeconds, maxLen: config.queue.eventsMaxLen, finishedTtlSeconds: config.queue.finishedEventsTtlSeconds });
  const ledger = workerLedger(config, cmd, logger, metrics);
  const ownGuard = opts.spendGuard ? undefined : createLedgerSpendGuard({ ledger, client, logger, unknownHoldMs: config.ledger.unknownHoldMs });
  const spend: SpendGuard = opts.spendGuard ?? ownGuard!;
  const active: ActiveCalls = new Map();
  let closing = false;
  const workerIdentity = `${hostname()}/${process.pid}`;

  await Promise.all([waitForRedis(cmd, opts.redisTimeoutMs, config.redis), waitForRedis(workerConn, opts.redisTimeoutMs, config.redis)]);
  const cancelCheck = await watchCancellations(subscriber, cmd, active, logger);

  const rateLimit = rateLimitFor(config, queue);
  const worker: Worker<ModelCallPayload, ModelCallResult> = new Worker<ModelCallPayload, ModelCallResult>(
    queueName(queue),
    (job, token, signal) => processJob(job, token, signal),
    {
      connection: workerConn,
      prefix: config.queue.prefix,
      autorun: false,
      concurrency: config.worker.concurrency,
      lockDuration: config.worker.lockDurationMs,
      stalledInterval: config.worker.stalledIntervalMs,
      maxStalledCount: config.worker.maxStalledCount,
      ...(rateLimit ? { limiter: { max: rateLimit.max, duration: rateLimit.durationMs } } : {}),
      settings: { backoffStrategy: providerBackoff(config.worker.backoffMs) },
    },
  );
  metrics.admission.set(config.worker.concurrency);
  const guard = config.worker.loadGuard ? loadGuardFor(config, worker, active, metrics, logger) : undefined;
  const processJob = createModelCallProcessor({
    config, logger, client, spend, events, redis: cmd, metrics, active, workerIdentity, rateLimit: (ms) => worker.rateLimit(ms),
    // The ledger guard books on `cmd`, where the events go: in order on one Redis (a Cluster's
    // ledger and request keys live on different nodes).
    settleBesideResult: !opts.spendGuard && !isCluster(cmd),
  });
  const workerError = repeatedLog(logger, 'error', 'worker error');
  worker.on('error', (err) => workerError({ err: err.message }));
  worker.on('stalled', (jobId) => logger.warn('job stalled; it will run again', { jobId }));

  const reaper = startReaper(ledger, config.ledger.reapIntervalMs, logger);
  // The openrouter worker reads OpenRouter's prices (at start, then every few hours) and shares them
  // in Redis for the front doors' list_models; a failed read leaves the configured prices.
  const prices = queue === 'openrouter' ? new PriceBook({ config, redis: cmd, logger, fetch: true }) : undefined;
  void prices?.start();

  await worker.waitUntilReady();
  void worker.run().catch((err) => logger.error('worker loop ended with an error', { err: (err as Error).message }));

  const isReady = () => !closing && worker.isRunning() && cmd.status === 'ready';
  const health =
    opts.health === false
      ? undefined
      : await startHealthServer({
          host: opts.health?.host ?? config.worker.metricsHost,
          port: opts.health?.port ?? config.worker.metricsPort,
          registry: metrics.registry,
          isReady,
        });
  logger.info(APP_READY_TEXT[`worker-${queue}`], {
    queue: queueName(queue),
    models: modelsOnQueue(config, queue),
    concurrency: config.worker.concurrency,
    ...(health ? { healthPort: health.port } : {}),
  });

  let closed: Promise<void> | undefined;
  const close = () => {
    closed ??= (async () => {
      closing = true;
      const handBack = setTimeout(() => {
        if (active.size) logger.warn('shutdown grace over; handing active jobs back', { jobs: [...active.keys()] });
        for (const a of active.values()) a.ctrl.abort(ABORT_REASON.shutdown);
      }, config.worker.shutdownTimeoutMs);
      try {
        await worker.close();
      } finally {
        clearTimeout(handBack);
      }
      clearInterval(reaper);
      clearInterval(cancelCheck);
      prices?.close();
      guard?.stop();
      await ownGuard?.close();
      await health?.close();
      await Promise.all([closeRedis(subscriber), closeRedis(cmd), closeRedis(workerConn)]);
      if (ownsClient) await client.close();
    })();
    return closed;
  };

  return { worker, metrics, ledger, healthPort: health?.port, isReady, close };
}

/** The BullMQ limiter of a queue: the strictest rate limit among its providers. */
function rateLimitFor(config: Config, queue: QueueKey) {
  const limits = Object.values(config.providers)
    .filter((p) => p.queue === queue && p.rateLimit)
    .map((p) => p.rateLimit!);
  return limits.sort((a, b) => a.max / a.durationMs - b.max / b.durationMs)[0];
}

/** The worker's ledger: the configured limits, warnings and budget alerts logged, reservations held by replicas. */
function workerLedger(config: Config, cmd: RedisClient, logger: Logger, metrics: WorkerMetrics): Ledger {
  return new Ledger({
    redis: cmd,
    limits: config.limits,
    keyPrefix: config.ledger.keyPrefix,
    leaseMs: config.ledger.leaseMs,
    retention: ledgerRetention(config),
    onWarning: (w) => logger.warn('daily spend passed the warning threshold', w),
    alertThresholds: config.alerts.thresholds,
    onAlert: budgetAlerter({ logger, counter: metrics.budgetAlerts, ...(config.alerts.webhookUrl ? { webhookUrl: config.alerts.webhookUrl } : {}) }),
    replicas: { count: config.redis.waitReplicas, timeoutMs: config.redis.waitTimeoutMs, onShort: (i) => logger.warn(REPLICAS_SHORT, i) },
  });
}

/**
 * Aborts the calls in flight of a cancelled request: told by pub/sub, and — pub/sub drops a message
 * its subscriber missed (a reconnect, a failover) — by reading the cancel flag of each request with a
 * call in flight every few seconds. The timer of that check (cleared at close).
 */
async function watchCancellations(subscriber: RedisClient, cmd: RedisClient, active: ActiveCalls, logger: Logger): Promise<NodeJS.Timeout> {
  const cancel = (requestId: string) => {
    for (const [jobId, a] of active) {
      if (a.requestId === requestId && !a.ctrl.signal.aborted) {
        logger.info('cancelling in-flight call', { requestId, jobId });
        a.ctrl.abort(ABORT_REASON.cancelled);
      }
    }
  };
  await subscribeCancellations(subscriber, cancel);
  const check = setInterval(() => {
    for (const requestId of new Set([...active.values()].map((a) => a.requestId))) {
      void isCancelled(cmd, requestId)
        .then((yes) => yes && cancel(requestId))
        .catch(() => undefined);
    }
  }, CANCEL_CHECK_MS);
  check.unref();
  return check;
}

/** Every worker returns the reservations of crashed ones (reap-1.lua is safe to run concurrently). */
function startReaper(ledger: Ledger, intervalMs: number, logger: Logger): NodeJS.Timeout {
  const reapFailed = repeatedLog(logger, 'warn', 'ledger reap failed');
  const reaper = setInterval(() => {
    ledger
      .reap()
      .then((n) => n && logger.warn('returned expired spend reservations', { count: n }))
      .catch((err) => reapFailed({ err: (err as Error).message }));
  }, intervalMs);
  reaper.unref();
  return reaper;
}

/** Takes no new calls while the process is overloaded (event-loop lag, utilisation, heap), and says so. */
function loadGuardFor(config: Config, worker: Worker<ModelCallPayload, ModelCallResult>, active: ActiveCalls, metrics: WorkerMetrics, logger: Logger) {
  return startLoadGuard({
    concurrency: config.worker.concurrency,
    maxLagMs: config.worker.maxLagMs,
    maxUtilization: config.worker.maxUtilization,
    maxHeapFraction: config.worker.maxHeapFraction,
    active: () => active.size,
    setConcurrency: (n) => {
      void setWorkerConcurrency(worker, n).catch((err: Error) => logger.warn('could not change the worker concurrency', { err: err.message }));
      metrics.admission.set(n);
    },
    onChange: (s) => logger.warn(s.limited ? 'worker overloaded: taking no new calls' : 'worker load back to normal: taking calls again', { lagMs: Math.round(s.lagMs), utilization: Math.round(s.utilization * 100) / 100, heapFraction: Math.round(s.heapFraction * 100) / 100, concurrency: s.concurrency }),
  });
}
