/**
 * Environment variables and the config paths they set. Read after config.yaml, so they win.
 * Empty values count as unset.
 */
export const ENV_BINDINGS: ReadonlyArray<{ env: string; path: readonly string[]; doc: string }> = [
  { env: 'REDIS_URL', path: ['redis', 'url'], doc: 'Redis connection URL (redis:// or rediss://).' },
  { env: 'OPENROUTER_API_KEY', path: ['providers', 'openrouter', 'apiKey'], doc: 'OpenRouter key (secret).' },
  { env: 'OPENAI_API_KEY', path: ['providers', 'openai', 'apiKey'], doc: 'OpenAI key (secret).' },
  { env: 'OPENROUTER_BASE_URL', path: ['providers', 'openrouter', 'baseUrl'], doc: 'OpenRouter API base URL.' },
  { env: 'OPENAI_BASE_URL', path: ['providers', 'openai', 'baseUrl'], doc: 'OpenAI API base URL.' },
  { env: 'MCP_LOG_LEVEL', path: ['logging', 'level'], doc: 'error, warn, info, debug… (case-insensitive).' },
  { env: 'MCP_MAX_COST_PER_REQUEST', path: ['limits', 'maxCostPerRequest'], doc: 'USD one tool call may spend (default 5).' },
  { env: 'MCP_DAILY_LIMIT', path: ['limits', 'dailyLimit'], doc: 'USD all calls may spend per day (default 100).' },
  { env: 'MCP_WARNING_THRESHOLD', path: ['limits', 'warningThreshold'], doc: 'Fraction of a limit that triggers a warning (0.8).' },
  { env: 'MCP_BUDGET_TIMEZONE', path: ['limits', 'timeZone'], doc: 'IANA time zone of the daily window (UTC).' },
  { env: 'LEDGER_LEASE_MS', path: ['ledger', 'leaseMs'], doc: 'Reservation lease; a dead worker\'s reservation is freed after it (60000).' },
  { env: 'LEDGER_REAP_INTERVAL_MS', path: ['ledger', 'reapIntervalMs'], doc: 'How often workers return expired reservations (5000).' },
  { env: 'LEDGER_UNKNOWN_HOLD_MS', path: ['ledger', 'unknownHoldMs'], doc: 'How long a call of unknown cost keeps its reservation (600000).' },
  { env: 'ORCH_HOST', path: ['server', 'host'], doc: 'Address the front doors bind (127.0.0.1).' },
  { env: 'REST_PORT', path: ['server', 'restPort'], doc: 'REST bridge port (5050).' },
  { env: 'WS_PORT', path: ['server', 'wsPort'], doc: 'WebSocket bridge port (8765).' },
  { env: 'MCP_HTTP_PORT', path: ['server', 'mcpHttpPort'], doc: 'MCP Streamable HTTP port (8080).' },
  { env: 'WORKER_METRICS_PORT', path: ['worker', 'metricsPort'], doc: 'Worker /healthz /readyz /metrics port (9464).' },
  { env: 'WORKER_METRICS_HOST', path: ['worker', 'metricsHost'], doc: 'Address the worker health server binds (127.0.0.1).' },
  { env: 'WORKER_CONCURRENCY', path: ['worker', 'concurrency'], doc: 'Jobs one worker process runs at once (8).' },
  { env: 'WORKER_ATTEMPTS', path: ['worker', 'attempts'], doc: 'Attempts per model call (4).' },
  { env: 'WORKER_BACKOFF_MS', path: ['worker', 'backoffMs'], doc: 'First retry delay in ms, doubling (2000).' },
  { env: 'WORKER_LOCK_DURATION_MS', path: ['worker', 'lockDurationMs'], doc: 'BullMQ job lock (30000).' },
  { env: 'WORKER_STALLED_INTERVAL_MS', path: ['worker', 'stalledIntervalMs'], doc: 'Stalled-job check period (30000).' },
  { env: 'WORKER_SHUTDOWN_TIMEOUT_MS', path: ['worker', 'shutdownTimeoutMs'], doc: 'SIGTERM grace for active jobs (30000).' },
  { env: 'ORCH_QUEUE_PREFIX', path: ['queue', 'prefix'], doc: 'BullMQ key prefix (bull).' },
];
