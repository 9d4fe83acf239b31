import { z } from 'zod';
import { BoolSchema } from './bool';
import { RedisSchema } from './redis';
import { PricingSchema, QueueKeySchema, ReasoningEffortSchema, StrategySchema, ThinkingModeSchema } from '@orch/contracts';

/** Numbers may come from YAML (numbers) or the environment (strings); both are coerced. */
const num = () => z.coerce.number({ error: 'must be a number' }).refine(Number.isFinite, 'must be a finite number');
const port = () => num().pipe(z.number().int('must be an integer').min(0, 'must be 0..65535').max(65535, 'must be 0..65535'));
const posInt = () => num().pipe(z.number().int('must be an integer').positive('must be > 0'));
const money = () => num().pipe(z.number().nonnegative('must be >= 0'));

/** A list from YAML, or a comma-separated string from the environment. */
const list = () =>
  z.preprocess(
    (v) => (typeof v === 'string' ? v.split(',').map((x) => x.trim()).filter(Boolean) : v),
    z.array(z.string().min(1)),
  );

export { BoolSchema };

export const LOG_LEVELS = ['error', 'warn', 'info', 'http', 'verbose', 'debug', 'silly'] as const;

export const RateLimitSchema = z.strictObject({
  /** Jobs started per `durationMs`, across every worker of the queue (BullMQ limiter is global). */
  max: posInt(),
  durationMs: posInt(),
});

/**
 * The kinds of provider: each has a profile in packages/providers/src/profiles (its wire rules, cost,
 * prices); `openai_compatible` speaks plain OpenAI chat.
 */
export const PROVIDER_KINDS = ['openrouter', 'openai', 'openai_compatible', 'gemini'] as const;
export type ProviderKind = (typeof PROVIDER_KINDS)[number];

export const ProviderSchema = z.strictObject({
  kind: z.enum(PROVIDER_KINDS),
  baseUrl: z.url({ error: 'must be a URL' }),
  /** Secret. Comes from the environment (OPENROUTER_API_KEY, OPENAI_API_KEY or `apiKeyEnv`, e.g. GEMINI_API_KEY), never YAML. */
  apiKey: z.string().optional(),
  /** Environment variable holding the key, for operator-added providers. */
  apiKeyEnv: z.string().optional(),
  /** The worker queue that runs this provider's calls. */
  queue: QueueKeySchema,
  headers: z.record(z.string(), z.string()).default({}),
  rateLimit: RateLimitSchema.optional(),
  /** Wall-clock limit of one attempt. o3 can think for minutes; 10 min like the SDK default. */
  timeoutMs: posInt().default(600_000),
  /** Abort a stream that sends nothing (not even a keep-alive) for this long. */
  idleTimeoutMs: posInt().default(120_000),
});
export type ProviderConfig = z.infer<typeof ProviderSchema>;

export const ModelSchema = z.strictObject({
  provider: z.string().min(1),
  modelId: z.string().min(1),
  description: z.string().default(''),
  enabled: BoolSchema.default(true),
  /**
   * Models asked instead, in turn, when a call of this one has failed for good (after its retries) as
   * unavailable, rate-limited, timed out or out of quota. The answer names the model it stands in for.
   */
  fallbacks: z.array(z.string().min(1)).default([]),
  /** Always sent as the output cap; the ledger reserves on it. Reasoning tokens count inside it. */
  maxOutputTokens: posInt().default(8192),
  contextWindow: posInt().optional(),
  temperature: num().pipe(z.number().min(0).max(2)).optional(),
  /**
   * OpenAI o-series rules: `max_completion_tokens` instead of `max_tokens`, no `temperature`,
   * `reasoning_effort`. Defaults to true for OpenAI o-series or gpt-5 model ids.
   */
  oSeries: BoolSchema.optional(),
  reasoningEffort: ReasoningEffortSchema.optional(),
  /** Stream by default; a model that refuses streaming (o3 before org verification) falls back. */
  streaming: BoolSchema.default(true),
  pricing: PricingSchema,
});
export type ModelConfig = z.infer<typeof ModelSchema>;

export const ConfigSchema = z
  .strictObject({
    redis: RedisSchema,
    logging: z.strictObject({
      level: z
        .string()
        .transform((v) => v.toLowerCase())
        .pipe(z.enum(LOG_LEVELS, { error: `must be one of ${LOG_LEVELS.join(', ')}` }))
        .default('info'),
    }),
    limits: z.strictObject({
      /** USD one tool call may spend: all its model calls, synthesis and retries. */
      maxCostPerRequest: money().default(5),
      /** USD all requests together may spend per day. */
      dailyLimit: money().default(100),
      /** Fraction of a limit at which a warning is logged and shown in status. */
      warningThreshold: num().pipe(z.number().gt(0, 'must be > 0').max(1, 'must be <= 1')).default(0.8),
      /** IANA time zone of the daily window. */
      timeZone: z.string().default('UTC'),
    }),
    alerts: z.strictObject({
      /** Fractions of a budget at which an alert is raised, once per window (log, metric, webhook). */
      thresholds: z
        .preprocess((v) => (typeof v === 'string' ? v.split(',').map((x) => x.trim()).filter(Boolean) : v), z.array(num().pipe(z.number().gt(0, 'must be > 0').max(1, 'must be <= 1'))))
        .default([0.5, 0.8, 1]),
      /** Where alerts are POSTed (JSON with `text` and `content`: Slack and Discord webhooks take it). Secret. */
      webhookUrl: z.url({ error: 'must be an http(s) URL' }).optional(),
    }),
    prices: z.strictObject({
      /**
       * Read OpenRouter's prices (GET /models) when an openrouter worker starts and every
       * `refreshHours`, instead of the configured ones; the configured prices stay the fallback.
       */
      live: BoolSchema.default(true),
      refreshHours: num().pipe(z.number().gt(0, 'must be > 0').max(168, 'must be <= 168')).default(6),
    }),
    ledger: z.strictObject({
      /** A reservation not renewed for this long (its worker died) is returned to the budget. */
      leaseMs: posInt().default(60_000),
      /** How often each worker returns expired reservations. */
      reapIntervalMs: posInt().default(5_000),
      /** A call whose cost is unknown (timeout, lost stream) keeps its reservation this long. */
      unknownHoldMs: posInt().default(600_000),
      /** Day totals (by model, by provider) are kept this many days after the day's last call. */
      dayRetentionDays: posInt().default(400),
      /** Per-request spend (and the day's by-request figures) is kept this long after its last call. */
      requestRetentionSeconds: posInt().default(86_400),
      /** Redis key prefix of the ledger, with its Cluster hash tag. */
      keyPrefix: z.string().regex(/^\{[^}]+\}$/, 'must be a hash tag like {ledger}').default('{ledger}'),
    }),
    server: z.strictObject({
      host: z.string().default('127.0.0.1'),
      restPort: port().default(5050),
      wsPort: port().default(8765),
      mcpHttpPort: port().default(8080),
      /**
       * Connections the kernel holds for a front door before the door accepts them (listen backlog;
       * Linux caps it at net.core.somaxconn). Node's 511 refused part of a burst of thousands.
       */
      listenBacklog: posInt().default(4096),
      /**
       * A separate listener for /metrics (and /healthz, /readyz) of the REST and WebSocket bridges,
       * without key or Host checks, for a scraper on a private network; 0: none (then /metrics is on
       * the main port, behind the key when keys are set).
       */
      metricsPort: port().default(0),
      metricsHost: z.string().default('127.0.0.1'),
    }),
    ws: z.strictObject({
      /** Largest message a client may send; bigger ones get `payload_too_large` (4× closes the socket). */
      maxMessageBytes: posInt().default(1024 * 1024),
      /** A client with more than this queued unread is disconnected (slow consumer, code 4008). */
      maxBufferedBytes: posInt().default(8 * 1024 * 1024),
      /** Ping period; a socket that missed the previous pong is dropped. */
      heartbeatMs: posInt().default(30_000),
      /** A socket without a header key must send `auth` within this long. */
      authTimeoutMs: posInt().default(10_000),
      /** Calls and subscriptions one socket may have open at once. */
      maxInFlight: posInt().default(256),
      /**
       * Messages one socket may send per second. Past it the socket gets one `rate_limited` error,
       * its further messages are dropped and reading pauses until the second is over, so one
       * flooding client cannot starve the others.
       */
      maxMessagesPerSecond: posInt().default(100),
    }),
    worker: z.strictObject({
      /**
       * Calls one worker process runs at once. Model calls wait on the network for seconds to
       * minutes, so it can be in the hundreds (each costs well under 1 MiB; bench/RESULTS.md,
       * in-flight capacity), and the load guard takes no new calls while the worker is overloaded,
       * whatever this says: what bounds a worker is its CPU and memory (README, Sizing a worker).
       */
      concurrency: posInt().default(256),
      /**
       * Admit calls by measurement (the load guard, below): a worker whose event loop is busy or
       * lags, or whose heap fills, takes no new calls until it recovers, then takes them at once.
       */
      loadGuard: BoolSchema.default(true),
      /** Event-loop delay (p99, ms) past which the worker takes no new calls until it is under half. */
      maxLagMs: posInt().default(1000),
      /** Event-loop utilisation (0–1) past which the worker takes no new calls: it no longer keeps up with its streams. */
      maxUtilization: num().pipe(z.number().gt(0).max(1)).default(0.75),
      /** Fraction of the V8 heap limit past which the worker takes no new calls. */
      maxHeapFraction: num().pipe(z.number().gt(0).max(1)).default(0.8),
      metricsPort: port().default(9464),
      metricsHost: z.string().default('127.0.0.1'),
      /** Attempts per model call, the first included (BullMQ `attempts`). */
      attempts: posInt().default(4),
      /** First retry delay; doubles each attempt (a provider Retry-After wins when longer). */
      backoffMs: posInt().default(2000),
      /**
       * A killed worker's calls run elsewhere within about lockDurationMs + stalledIntervalMs
       * (7.5 s; bench/recovery.mjs). Locks are renewed every lockDurationMs / 2.
       */
      lockDurationMs: posInt().default(5_000),
      stalledIntervalMs: posInt().default(2_500),
      /** Runs of one call after its worker died, before BullMQ fails it (each may be billed). */
      maxStalledCount: num().pipe(z.number().int().min(0)).default(2),
      /** How long SIGTERM waits for active jobs before handing them back to the queue. */
      shutdownTimeoutMs: posInt().default(30_000),
      /** Partial text is flushed to the event stream at most this often (20 ms: at most 50 events/s per call; bench/progress.mjs). */
      partialFlushMs: posInt().default(20),
      /** An answer longer than this many bytes (UTF-16 code units, about bytes) is stopped: it would fill records and memory. */
      maxAnswerBytes: posInt().default(4 * 1024 * 1024),
    }),
    queue: z.strictObject({
      /** BullMQ key prefix. */
      prefix: z.string().regex(/^[^:]+$/, 'must not contain ":"').default('bull'),
      /**
       * Finished model-call jobs BullMQ keeps for inspection. Their results already live in the
       * request's record, so few are kept: each holds the whole prompt and answer.
       */
      keepCompleted: z.strictObject({ ageSeconds: posInt().default(3600), count: posInt().default(100) }),
      keepFailed: z.strictObject({ ageSeconds: posInt().default(7 * 86_400), count: posInt().default(5000) }),
      /**
       * Entries BullMQ keeps in each queue's own event stream (its default is 10,000). Nothing here
       * reads that stream (requests have their own); it is for dashboards, so a short tail will do.
       */
      bullEventsMaxLen: posInt().default(1000),
      /** Event streams and results of a request stay readable this long. */
      requestTtlSeconds: posInt().default(86_400),
      eventsMaxLen: posInt().default(10_000),
      /**
       * A finished request's compacted stream (its errors and \`done\`) stays this long for followers
       * on their way; later followers are told the end from the record. Shorter = less memory.
       */
      finishedEventsTtlSeconds: posInt().default(300),
    }),
    orchestration: z.strictObject({
      /** Strategy of orchestrate_task when neither the call nor the caller's settings name one. */
      defaultStrategy: StrategySchema.default('external_enhancement'),
      /** Models consulted by multi-model strategies (default: every enabled model). */
      models: list().default([]),
      /**
       * Per strategy: its models (over `models`), and whether a council must reach consensus
       * (`max_quality_council`: another round while the judge finds disagreement). The seed's
       * top-level `strategies:` block lands here. A call's own arguments win.
       */
      strategies: z
        .partialRecord(StrategySchema, z.strictObject({ models: list().optional(), requireConsensus: BoolSchema.optional() }))
        .default({}),
      /** Writes the synthesis of multi-model answers. */
      synthesisModel: z.string().default('gemini_pro'),
      /** Judges agreement in max_quality_council (default: the synthesis model). */
      judgeModel: z.string().optional(),
      /** progressive_deep_dive asks this model first. */
      firstModel: z.string().default('gemini_pro'),
      /** think_deeper's default model. */
      reasoningModel: z.string().default('o3_architect'),
      /** Council rounds at most, the first included. */
      maxRounds: posInt().default(2),
      defaultThinkingMode: ThinkingModeSchema.default('medium'),
      /** A tool call still running after this long returns its request id; get_job_result has the rest. */
      syncWaitSeconds: num().pipe(z.number().min(0).max(3600)).default(50),
      /** MCP progress notifications at least this often while a call runs (when the client asked). */
      progressIntervalMs: posInt().pipe(z.number().max(15_000, 'must be at most 15000 (clients time out idle calls)')).default(5000),
      /**
       * On SIGTERM a front door lets its waiting calls and the requests it drives run this long,
       * then hands the requests over to other processes (never cancelling them).
       */
      shutdownGraceMs: posInt().default(10_000),
      /** Requests one front-door process drives at once (they mostly wait on model calls). */
      maxDrivers: posInt().default(1000),
      /**
       * Lock of a request's driver; renewed every half. When a driver's process dies, another takes
       * its requests over within about 1.5× this.
       */
      driverLockMs: posInt().default(6000),
      /** Conversation threads (continuation_id) live this long after their last turn. */
      threadTtlSeconds: posInt().default(86_400),
      maxThreadTurns: posInt().default(50),
      /** Session context and caller settings live this long after their last update. */
      sessionTtlSeconds: posInt().default(7 * 86_400),
      files: z.strictObject({
        /** Directories file_paths must be inside (default: the gateway's working directory). */
        roots: list().default([]),
        maxFileBytes: posInt().default(256 * 1024),
        maxTotalBytes: posInt().default(1024 * 1024),
        maxFiles: posInt().default(50),
        /** Secret-bearing files (.env*, keys, credential files) file_paths may still read, by name or path suffix. */
        allowSecretFiles: list().default([]),
      }),
    }),
    gateway: z.strictObject({
      /** Bearer keys; when set, every HTTP/WS call needs one. Secret. */
      apiKeys: list().default([]),
      /** The operators' key for the admin pages (/admin/queues); unset: those pages are off. Secret. */
      adminKey: z.string().min(16, 'must be at least 16 characters').optional(),
      /** bull-board may retry, add and clean jobs; read-only otherwise (a retry re-runs a billed call). */
      adminQueueWrites: BoolSchema.default(false),
      /** HMAC key of the state an MCP call hands its client between rounds (spend approval); the same on every replica. Unset: one random key per process. Secret. */
      stateSecret: z.string().min(32, 'must be at least 32 characters').optional(),
      /** A call whose worst-case cost exceeds this many USD asks its caller first (MCP: input-required / elicitation); 0 turns it off. A key's own setting (configure_orchestrator) wins. */
      approvalThresholdUsd: num().pipe(z.number().min(0, 'must be >= 0')).default(0),
      /** Origins allowed to call the HTTP front doors from a browser (exact match). */
      allowedOrigins: list().default([]),
      /** Host header values accepted besides localhost (needed when binding 0.0.0.0). */
      allowedHosts: list().default([]),
      /** Run the provider workers inside the gateway process (one command for a laptop). */
      runWorkers: BoolSchema.default(false),
      /** Without keys the front doors bind 127.0.0.1 whatever ORCH_HOST says, unless this is true (auth done by a proxy). */
      allowUnauthenticated: BoolSchema.default(false),
      /** Never serve without a key: with no ORCH_API_KEYS and no managed key yet, every caller is refused. */
      requireKeys: BoolSchema.default(false),
      /** Tool calls one caller (key) may make per window, across every front door; 0 turns it off. */
      rateLimit: z.strictObject({
        points: num().pipe(z.number().int('must be an integer').min(0, 'must be >= 0')).default(120),
        windowSeconds: posInt().default(60),
      }),
    }),
    providers: z.record(z.string(), ProviderSchema),
    models: z.record(z.string().regex(/^[a-z0-9_\-.]+$/i, 'model keys use letters, digits, _ - .'), ModelSchema),
  })
  .superRefine((cfg, ctx) => {
    for (const [key, model] of Object.entries(cfg.models)) {
      if (!cfg.providers[model.provider]) {
        ctx.addIssue({
          code: 'custom',
          path: ['models', key, 'provider'],
          message: `names provider "${model.provider}", which is not configured (known: ${Object.keys(cfg.providers).join(', ')})`,
        });
      }
    }
    for (const [key, model] of Object.entries(cfg.models)) {
      model.fallbacks.forEach((f, i) => {
        if (f === key) ctx.addIssue({ code: 'custom', path: ['models', key, 'fallbacks', i], message: 'names the model itself' });
        else if (!cfg.models[f]?.enabled) ctx.addIssue({ code: 'custom', path: ['models', key, 'fallbacks', i], message: `names model "${f}", which is not configured or not enabled` });
      });
    }
    const o = cfg.orchestration;
    const named: Array<[string, string | undefined]> = [
      ['synthesisModel', o.synthesisModel],
      ['judgeModel', o.judgeModel],
      ['firstModel', o.firstModel],
      ['reasoningModel', o.reasoningModel],
      ...o.models.map((m, i): [string, string] => [`models.${i}`, m]),
      ...Object.entries(o.strategies).flatMap(([name, st]) => (st?.models ?? []).map((m, i): [string, string] => [`strategies.${name}.models.${i}`, m])),
    ];
    for (const [field, key] of named) {
      if (key !== undefined && !cfg.models[key]?.enabled) {
        ctx.addIssue({ code: 'custom', path: ['orchestration', ...field.split('.')], message: `names model "${key}", which is not configured or not enabled` });
      }
    }
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: cfg.limits.timeZone });
    } catch {
      ctx.addIssue({ code: 'custom', path: ['limits', 'timeZone'], message: 'is not a known IANA time zone' });
    }
  });

export type Config = z.infer<typeof ConfigSchema>;
export type ConfigInput = z.input<typeof ConfigSchema>;
