import type { Queue } from 'bullmq';
import { hostname } from 'node:os';
import {
  OrchestratorError,
  toErrorInfo,
  UNAVAILABLE,
  redisTrouble,
  type CancelOutput,
  type JobResultOutput,
  type RequestSummary,
  type SpendReport,
  type StoredRequestEvent,
  type Thread,
  type ToolInput,
  type ToolName,
} from '@orch/contracts';
import { enabledModelKeys, ledgerRetention, type Config } from '@orch/config';
import type { Logger } from '@orch/logging';
import { EventHub, PriceBook, ProviderQueues, RequestEvents, approvalKey, duplicateRedis, toldOneCallOutput, type RedisClient, type Subscription } from '@orch/queue';
import { Ledger, REPLICAS_SHORT, type ReplicaWait } from '@orch/ledger';
import { ApiKeys } from './callers/api-keys';
import { CallerLimits } from './callers/caller-limits';
import { describeZodError } from './argument-errors';
import { checkModels, planCall, type PlanHost } from './tools/call-plan';
import { RequestIntake, runningOutput } from './requests/intake';
import { CallerStore } from './callers/caller-store';
import { renderModelOutput } from './tools/render';
import { RequestStore, type RequestRecord } from './requests/request-store';
import { RequestDriver } from './requests/request-driver';
import { cancelRunning } from './requests/request-cancel';
import { RequestViews, type RequestEnding } from './requests/request-views';
import { OneCallRequests } from './requests/one-call';
import { TOOLS, type Caller, type ModelTool, type ModelToolName, type PromptContext, type ToolAnswer, type ToolDefinition, type ToolHost, type ToolResult } from './tools';
import { ThreadViews } from './requests/thread-views';
import { spendReportFor } from './requests/caller-spend';
import { operatorView, type OperatorView } from './operator-view';

export interface CallOptions {
  /** Aborts (client cancel or disconnect) cancel the request while the call is still waiting. */
  signal?: AbortSignal;
  /** Every event of the request while the call waits (progress forwarding). */
  onEvent?: (e: StoredRequestEvent) => void;
  /** Overrides the configured sync window. */
  syncWaitMs?: number;
  /**
   * Spend approval (the MCP gateway asks its callers): a model call whose worst case is above the
   * caller's threshold is refused as `approval_required`, naming the estimate, unless `approved`.
   * Absent, nothing is asked (REST, WebSocket).
   */
  approval?: { approved: boolean };
}

export interface OrchestratorOptions {
  config: Config;
  /** Command connection. The event hub and the queues use duplicates of it. */
  redis: RedisClient;
  logger: Logger;
  /** Default file root when none is configured. */
  cwd?: string;
  /**
   * Told of every tool call once its outcome is known (the front door's metrics): `completed`,
   * `failed`, `cancelled` or an error code, and the seconds it took. A call answered with a request
   * id (still running) is told when its request ends.
   */
  onToolCall?: (tool: string, outcome: string, seconds: number) => void;
  /** Told each time a model call moves to one of its model's fallbacks. */
  onFallback?: (model: string, fallback: string) => void;
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(t);
      resolve();
    }, { once: true });
  });

/** A known tool's name. */
const isToolName = (name: string): name is ToolName => Object.hasOwn(TOOLS, name);

/**
 * The front-door facade: validates a tool call, reads local files (MCP gateway only), runs the
 * strategy as BullMQ jobs and flows, and keeps the request's record in Redis so any front door
 * can follow, fetch or cancel it.
 */
export class Orchestrator implements PlanHost, ToolHost {
  readonly config: Config;
  readonly queues: ProviderQueues;
  readonly events: RequestEvents;
  readonly requests: RequestStore;
  readonly callers: CallerStore;
  readonly ledger: Ledger;
  /** Caller keys: static (ORCH_API_KEYS) and managed ones in Redis. */
  readonly keys: ApiKeys;
  readonly prices: PriceBook;
  private readonly redis: RedisClient;
  private readonly logger: Logger;
  private readonly roots: string[];
  /** Drives requests from the `{requests}` queue; any front door's driver may run any request. */
  private readonly driver: RequestDriver;
  private readonly driverStarted: Promise<void>;
  /** Tool calls running here (a shutdown lets them finish first, then answers the rest). */
  private readonly inflight = new Set<Promise<ToolResult>>();
  /** Aborted at shutdown: a call still waiting for its request answers with the request id. */
  private readonly releases = new Set<AbortController>();
  private closing = false;
  private readonly owner = `${hostname()}/${process.pid}`;
  /** Rate limits (global, or a key's own) and model allow-lists. */
  private readonly limits: CallerLimits;
  private readonly replicas: ReplicaWait;
  private readonly queueConnection: RedisClient;
  private sharedHub: { hub: EventHub; connection: RedisClient } | undefined;
  private readonly views: RequestViews;
  private readonly oneCall: OneCallRequests;
  private readonly intake: RequestIntake;
  readonly threads: ThreadViews;
  /** What operators' pages and metrics read and change (spend, keys, queues, records). */
  readonly admin: OperatorView;
  private readonly onToolCall: OrchestratorOptions['onToolCall'];

  constructor(opts: OrchestratorOptions) {
    this.config = opts.config;
    this.onToolCall = opts.onToolCall;
    this.redis = opts.redis;
    this.logger = opts.logger;
    // BullMQ defines ~64 Lua commands on its connection, and ioredis copies every defined command
    // into each MULTI/pipeline: the queues have their own connection, which does not pipeline on
    // its own (role `queue`), so neither ours nor theirs pays that copy for each command.
    this.queueConnection = duplicateRedis(opts.redis, 'queue', 'queues');
    this.queues = new ProviderQueues({ config: opts.config, connection: this.queueConnection });
    this.events = new RequestEvents({ redis: opts.redis, ttlSeconds: opts.config.queue.requestTtlSeconds, maxLen: opts.config.queue.eventsMaxLen, finishedTtlSeconds: opts.config.queue.finishedEventsTtlSeconds });
    this.requests = new RequestStore({ redis: opts.redis, events: this.events, ttlSeconds: opts.config.queue.requestTtlSeconds });
    const o = opts.config.orchestration;
    this.callers = new CallerStore({ redis: opts.redis, sessionTtlSeconds: o.sessionTtlSeconds, threadTtlSeconds: o.threadTtlSeconds, maxThreadTurns: o.maxThreadTurns });
    this.ledger = new Ledger({ redis: opts.redis, limits: opts.config.limits, keyPrefix: opts.config.ledger.keyPrefix, retention: ledgerRetention(opts.config) });
    this.replicas = { count: opts.config.redis.waitReplicas, timeoutMs: opts.config.redis.waitTimeoutMs, onShort: (i) => opts.logger.warn(REPLICAS_SHORT, i) };
    this.prices = new PriceBook({ config: opts.config, redis: opts.redis, logger: opts.logger, fetch: false });
    this.keys = new ApiKeys({ redis: opts.redis, staticKeys: opts.config.gateway.apiKeys, requireKeys: opts.config.gateway.requireKeys, logger: opts.logger });
    this.roots = o.files.roots.length ? o.files.roots : [opts.cwd ?? process.cwd()];
    const rl = opts.config.gateway.rateLimit;
    this.limits = new CallerLimits({ redis: opts.redis, rateLimit: rl, logger: opts.logger });
    this.driver = new RequestDriver({
      config: opts.config,
      redis: opts.redis,
      queueConnection: this.queueConnection,
      logger: opts.logger,
      hub: () => this.hub,
      queues: this.queues,
      events: this.events,
      requests: this.requests,
      callers: this.callers,
      owner: this.owner,
      ...(opts.onFallback ? { onFallback: opts.onFallback } : {}),
    });
    this.intake = new RequestIntake({
      config: opts.config, redis: opts.redis, queueConnection: this.queueConnection, ledger: this.ledger, requests: this.requests,
      driver: this.driver, queues: this.queues, events: this.events, replicas: this.replicas, owner: this.owner, logger: opts.logger,
    });
    this.threads = new ThreadViews({ requests: this.requests, callers: this.callers, firstTurns: (id) => this.driver.firstTurns(id), retentionSeconds: opts.config.orchestration.threadTtlSeconds });
    this.admin = operatorView({ ledger: this.ledger, keys: this.keys, queues: this.queues, requestQueue: this.requestQueue, requests: this.requests });
    this.oneCall = new OneCallRequests({ redis: opts.redis, events: this.events, queues: this.queues, requests: this.requests });
    this.views = new RequestViews({ redis: opts.redis, events: this.events, requests: this.requests, hub: () => this.hub, assertRedisReachable: () => this.assertRedisReachable(), oneCall: this.oneCall, willDrive: (id) => this.driver.willDrive(id) });
    this.driverStarted = this.driver.start().catch((err: unknown) => {
      this.logger.error('request driver did not start', { err: (err as Error).message });
    });
  }

  /**
   * One shared reader of request event streams for this process (one blocking connection however
   * many subscribers). Created on first use.
   */
  get hub(): EventHub {
    if (!this.sharedHub) {
      const connection = duplicateRedis(this.redis, 'blocking', 'event-hub');
      this.sharedHub = { connection, hub: new EventHub({ redis: this.redis, blockingRedis: connection, events: this.events }) };
    }
    return this.sharedHub.hub;
  }

  /**
   * Redis lost (the connection is reconnecting or closed): `unavailable` at once, retryable, instead
   * of queueing the call behind a reconnect. A connection still opening for the first time is fine.
   */
  private assertRedisReachable(): void {
    if (['reconnecting', 'close', 'end'].includes(this.redis.status)) {
      throw new OrchestratorError('unavailable', UNAVAILABLE.message, { retryable: true, details: UNAVAILABLE.details });
    }
  }

  /** The caller a bearer key identifies (see ApiKeys.authenticate), or undefined: refuse it. */
  async authenticate(presented: string | undefined, fileAccess: boolean): Promise<Caller | undefined> {
    this.assertRedisReachable();
    try {
      return await this.keys.authenticate(presented, fileAccess);
    } catch (err) {
      const info = redisTrouble(err) ?? UNAVAILABLE;
      throw new OrchestratorError('unavailable', info.message, { retryable: true, details: info.details, cause: err });
    }
  }

  /** The queue of request drivers (one job per request being driven or waiting for a driver). */
  get requestQueue(): Queue {
    return this.driver.queue as Queue;
  }

  /** Spend as `caller` may see it: a caller key its own requests, a keyless caller everyone's. */
  spendReport(caller: Caller, page: { cursor?: string; limit?: number }): Promise<SpendReport> {
    return spendReportFor(this, caller, page);
  }

  /** Runs a tool. Known failures come back as `error` results with a stable code, never thrown. */
  async callTool<N extends ToolName>(name: N, args: unknown, caller: Caller, opts?: CallOptions): Promise<ToolResult<N>>;
  async callTool(name: string, args: unknown, caller: Caller, opts?: CallOptions): Promise<ToolResult>;
  async callTool(name: string, args: unknown, caller: Caller, opts: CallOptions = {}): Promise<ToolResult> {
    const started = performance.now();
    const release = new AbortController();
    this.releases.add(release);
    const running = this.runTool(name, args, caller, opts, release.signal);
    this.inflight.add(running);
    let result: ToolResult;
    try {
      result = await running;
    } finally {
      this.inflight.delete(running);
      this.releases.delete(release);
    }
    if (this.onToolCall) this.observe(isToolName(name) ? name : 'unknown', result, started, this.onToolCall);
    return result;
  }

  private observe(tool: string, result: ToolResult, started: number, tell: NonNullable<OrchestratorOptions['onToolCall']>): void {
    const seconds = () => (performance.now() - started) / 1000;
    if (result.kind === 'error') return tell(tool, result.error.code, seconds());
    if (result.kind === 'done') return tell(tool, result.failed ? 'failed' : 'completed', seconds());
    // follow() delivers `done` once; it may come before follow() returns (no `sub` yet).
    const sub = this.follow(
      result.requestId,
      '0',
      (e) => {
        if (e.type !== 'done') return;
        queueMicrotask(() => sub.close());
        tell(tool, e.status, seconds());
      },
      () => queueMicrotask(() => sub.close()),
    );
  }

  private async runTool(name: string, args: unknown, caller: Caller, opts: CallOptions, release: AbortSignal): Promise<ToolResult> {
    try {
      // Redis away: say so at once (503, retryable) rather than queue the call behind a reconnect.
      this.assertRedisReachable();
      if (this.closing) throw new OrchestratorError('unavailable', 'This server is shutting down; send the call again (another replica will take it)', { retryable: true, details: { retry_after_seconds: 1 } });
      await this.limits.consume(caller);
      if (!isToolName(name)) {
        throw new OrchestratorError('unknown_tool', `Unknown tool "${name}". Tools: ${Object.keys(TOOLS).join(', ')}`);
      }
      // A shutdown ends a wait as a hang-up does; only the caller's own hang-up cancels its request.
      const waitSignal = opts.signal ? AbortSignal.any([opts.signal, release]) : release;
      return await this.runNamedTool(name, args, caller, opts, waitSignal);
    } catch (err) {
      const info = toErrorInfo(err);
      if (info.code === 'internal') this.logger.error('tool call failed', { tool: name, err: (err as Error)?.stack ?? String(err) });
      return { kind: 'error', tool: name, error: info, text: `Error (${info.code}): ${info.message}` };
    }
  }

  /**
   * One tool, by name: its own schema parses the arguments, and (N binding the two) hands the tool
   * exactly what it takes — a model tool's prompt builder, or a local tool's handler.
   */
  private async runNamedTool<N extends ToolName>(name: N, args: unknown, caller: Caller, opts: CallOptions, waitSignal: AbortSignal): Promise<ToolResult<N> | ToolResult<ModelToolName>> {
    const tool: ToolDefinition<N> = TOOLS[name];
    const parsed = tool.input.safeParse(args ?? {});
    if (!parsed.success) throw describeZodError(parsed.error);
    if (tool.kind === 'model') return this.runModelTool(tool, parsed.data, caller, opts, waitSignal);
    const out = await tool.run(parsed.data, this, caller, waitSignal);
    const answer: ToolAnswer<N> = { kind: 'done', tool: tool.name, structured: out.structured, text: out.text, failed: out.failed ?? false, ...(out.requestId ? { requestId: out.requestId } : {}) };
    return answer;
  }

  /** Where a caller's file arguments may point (only the MCP gateway reads files). */
  promptContext(caller: Caller): PromptContext {
    return { fileAccess: caller.fileAccess, files: { ...this.config.orchestration.files, roots: this.roots } };
  }

  /** Marks an approval used; false when it was used before (a replayed approval runs nothing). */
  async consumeApproval(nonce: string, ttlSeconds: number): Promise<boolean> {
    return (await this.redis.set(approvalKey(nonce), '1', 'EX', ttlSeconds, 'NX')) === 'OK';
  }

  /** The first turns of a thread whose key is gone (PlanHost). */
  firstTurns(threadId: string): Promise<Thread | undefined> {
    return this.driver.firstTurns(threadId);
  }

  defaultModels(): string[] {
    const configured = this.config.orchestration.models;
    return configured.length ? configured : enabledModelKeys(this.config);
  }

  checkModels(models: string[], field: string): void {
    checkModels(this.config, models, field);
  }

  /** A model tool: planned, accepted (see RequestIntake), then waited for up to the sync window. */
  private async runModelTool<N extends ToolName>(def: ModelTool<N>, args: ToolInput<N>, caller: Caller, opts: CallOptions, waitSignal: AbortSignal): Promise<ToolAnswer<ModelToolName>> {
    const plan = await planCall(this, def, args, caller);
    const { requestId } = plan.drive;
    const tool: ModelToolName = def.name;
    const accepted = await this.intake.accept(plan, opts.approval);
    // Follow the request's events from the start (progress for MCP clients) while it is driven.
    const follow = opts.onEvent ? this.hub.subscribe(requestId, '0-0', opts.onEvent) : undefined;
    const waitMs = opts.syncWaitMs ?? this.config.orchestration.syncWaitSeconds * 1000;
    let ending: RequestEnding | undefined;
    try {
      ending = await this.waitForDone(requestId, waitMs, waitSignal, accepted);
    } finally {
      follow?.close();
    }
    // A caller that hung up cancels its request; a door that is shutting down does not (the
    // request goes on elsewhere and its result stays readable by id).
    if (opts.signal?.aborted && !this.closing) await this.cancel(requestId, caller);
    const readLater = `Call get_job_result with request_id "${requestId}" and wait_seconds up to 50`;
    // A one-call request's output is what its end told (its worker stored the same): no read.
    const output =
      (ending ? toldOneCallOutput(plan.record, ending.done, ending.results) : undefined) ??
      (await this.requests.get(requestId))?.output ??
      runningOutput(plan.drive, this.closing ? `This server is shutting down; the request goes on. ${readLater} (any front door) to get the result.` : `Still running after ${Math.round(waitMs / 1000)} s (external models can take minutes). ${readLater} to get the result.`);
    if (output.status === 'running') return { kind: 'running', tool, structured: output, text: renderModelOutput(output), requestId };
    return { kind: 'done', tool, structured: output, text: renderModelOutput(output), failed: output.status === 'failed' || output.status === 'cancelled', requestId };
  }

  /** Follows a request's events (SSE, WebSocket); see RequestViews.follow. */
  follow(requestId: string, after: string, deliver: (e: StoredRequestEvent) => void, onError?: (err: Error) => void, record?: RequestRecord): Subscription {
    return this.views.follow(requestId, after, deliver, onError, record);
  }

  ownRequest(requestId: string, caller: Caller): Promise<RequestRecord> {
    return this.views.ownRequest(requestId, caller);
  }

  getRequest(requestId: string, caller: Caller, waitMs = 0, signal?: AbortSignal): Promise<JobResultOutput> {
    return this.views.getRequest(requestId, caller, waitMs, signal);
  }

  listRequests(caller: Caller, limit = 20): Promise<RequestSummary[]> {
    return this.views.listRequests(caller, limit);
  }

  private waitForDone(requestId: string, waitMs: number, signal?: AbortSignal, after?: string): Promise<RequestEnding | undefined> {
    return this.views.waitForDone(requestId, waitMs, signal, after);
  }

  /** Cancels a request: queued calls are dropped, running ones aborted, the driver stopped. */
  async cancel(requestId: string, caller: Caller): Promise<CancelOutput> {
    const record = await this.ownRequest(requestId, caller);
    return cancelRunning({ redis: this.redis, markTtlSeconds: this.config.queue.requestTtlSeconds, requests: this.requests, driver: this.driver, oneCall: this.oneCall, waitForDone: (id, ms) => this.waitForDone(id, ms), logger: this.logger }, record);
  }

  /** Requests this process is driving. */
  get active(): number {
    return this.driver.active;
  }

  /**
   * Stops intake, lets the calls waiting here and the requests driven here run up to `graceMs`, then
   * answers the calls still waiting with their request id (never a silent hang-up: the request goes
   * on and its result is read by id), hands the rest to other processes (their model calls go on)
   * and closes.
   */
  async close(graceMs = 0): Promise<void> {
    this.closing = true;
    if (this.inflight.size && graceMs > 0) await Promise.race([Promise.allSettled(this.inflight), sleep(graceMs)]);
    for (const release of this.releases) release.abort();
    if (this.inflight.size) await Promise.race([Promise.allSettled(this.inflight), sleep(5_000)]);
    await this.driverStarted;
    await this.driver.close(graceMs);
    if (this.sharedHub) {
      await this.sharedHub.hub.close();
      this.sharedHub.connection.disconnect();
    }
    await this.queues.close();
    this.queueConnection.disconnect();
  }
}

/**
 * The orchestrator as a front door sees it: calls, requests, spend, and what operators' pages ask
 * (`admin`) — not the services behind them (ledger, key store, queues, records), which are the tools'.
 */
export type Facade = Pick<
  Orchestrator,
  'config' | 'authenticate' | 'callTool' | 'getRequest' | 'follow' | 'ownRequest' | 'listRequests' | 'cancel' | 'consumeApproval' | 'spendReport' | 'admin' | 'active' | 'close'
>;
