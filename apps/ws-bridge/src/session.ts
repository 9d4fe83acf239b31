import { WebSocket, type RawData } from 'ws';
import {
  OrchestratorError,
  WS_CLOSE,
  WS_CONTROL_PARAMS,
  WsRequestSchema,
  toErrorInfo,
  type ErrorInfo,
  type ModelToolOutput,
  type StoredRequestEvent,
  type WsCallId,
  type WsControlMethod,
  type WsServerMessage,
} from '@orch/contracts';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { describeZodError, streamIdOrThrow, type Caller, type Facade, type RequestRecord } from '@orch/orchestration';
import { checkJsonDepth } from '@orch/door';
import type { Subscription } from '@orch/queue';
import type { Logger } from '@orch/logging';

export interface SessionLimits {
  maxMessageBytes: number;
  maxBufferedBytes: number;
  authTimeoutMs: number;
  maxInFlight: number;
  maxMessagesPerSecond: number;
}

export interface SessionDeps {
  orchestrator: Facade;
  logger: Logger;
  limits: SessionLimits;
  /** The welcome message (tools, models, limits); `authenticated` is filled per socket. */
  welcome: Omit<Extract<WsServerMessage, { type: 'welcome' }>, 'authenticated'>;
  onSubscriptionCount?: (delta: number) => void;
}

/** What a watch sends when its request ends: a tool call's output, or a subscription's record. */
type WatchKind = 'call' | 'subscription';

interface Watch {
  id: WsCallId | null;
  requestId: string;
  kind: WatchKind;
  sub: Subscription;
}

/**
 * One WebSocket connection: authenticates it, runs its calls concurrently (replies carry the
 * client's id), and forwards the events of the requests it follows from the process's shared
 * EventHub. Requests outlive the socket: a client that reconnects resubscribes from its last event id.
 */
/** Who a socket authenticated as, and with which key (kept in memory only, to look it up again on every call). */
export interface SessionAuth {
  caller: Caller;
  presented: string | undefined;
}

export class WsSession {
  private caller: Caller | undefined;
  private presented: string | undefined;
  private readonly watches = new Set<Watch>();
  private inFlight = 0;
  private closed = false;
  private authTimer: NodeJS.Timeout | undefined;
  /** Messages per second of this socket (rate-limiter-flexible, in memory: the socket is here). */
  private readonly messageRate: RateLimiterMemory;
  /** Reading is paused until this time because the socket went over its message rate. */
  private pausedUntil = 0;
  alive = true;

  constructor(
    private readonly ws: WebSocket,
    private readonly deps: SessionDeps,
    headerAuth: SessionAuth | undefined,
  ) {
    this.caller = headerAuth?.caller;
    this.presented = headerAuth?.presented;
    this.messageRate = new RateLimiterMemory({ points: deps.limits.maxMessagesPerSecond, duration: 1 });
    ws.on('message', (data, isBinary) => {
      this.alive = true;
      // Messages that were already buffered when reading paused are dropped unread.
      if (Date.now() < this.pausedUntil) return;
      this.messageRate.consume('socket').then(
        () => this.onMessage(data, isBinary),
        (res: unknown) => this.overRate(res),
      );
    });
    ws.on('pong', () => (this.alive = true));
    ws.on('close', () => this.dispose());
    ws.on('error', (err) => deps.logger.debug('websocket error', { err: err.message }));
    this.send({ ...deps.welcome, authenticated: this.caller !== undefined });
    if (!this.caller) {
      this.authTimer = setTimeout(() => this.close(WS_CLOSE.unauthorized, 'no auth message in time'), deps.limits.authTimeoutMs);
      this.authTimer.unref();
    }
  }

  /** Sends one message, or drops a client that has stopped reading. */
  send(msg: WsServerMessage): void {
    if (this.closed || this.ws.readyState !== WebSocket.OPEN) return;
    if (this.ws.bufferedAmount > this.deps.limits.maxBufferedBytes) {
      this.deps.logger.warn('dropping a slow websocket consumer', { bufferedBytes: this.ws.bufferedAmount });
      this.close(WS_CLOSE.slowConsumer, 'slow consumer: messages were not read fast enough', true);
      return;
    }
    this.ws.send(JSON.stringify(msg));
  }

  ping(): void {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.ping();
  }

  close(code: number, reason: string, now = false): void {
    if (this.closed) return;
    this.dispose();
    if (now) this.ws.terminate();
    else {
      this.ws.close(code, reason);
      setTimeout(() => this.ws.terminate(), 2000).unref();
    }
  }

  private dispose(): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.authTimer);
    for (const w of this.watches) w.sub.close();
    this.deps.onSubscriptionCount?.(-this.watches.size);
    this.watches.clear();
  }

  /**
   * Over the message rate: one `rate_limited` error, then reading stops until the window is over
   * (TCP pushes back on the sender), so a flood costs this process almost nothing.
   */
  private overRate(res: unknown): void {
    if (!(res instanceof RateLimiterRes) || this.closed || Date.now() < this.pausedUntil) return;
    const waitMs = Math.max(50, res.msBeforeNext);
    this.pausedUntil = Date.now() + waitMs;
    const limit = this.deps.limits.maxMessagesPerSecond;
    this.error(null, new OrchestratorError('rate_limited', `More than ${limit} messages per second on this socket; messages are dropped for ${waitMs} ms`, { retryable: true, details: { retry_after_seconds: Math.ceil(waitMs / 1000), limit, window_seconds: 1 } }));
    this.ws.pause();
    setTimeout(() => {
      if (!this.closed) this.ws.resume();
    }, waitMs).unref();
  }

  private error(id: WsCallId | null, err: unknown, requestId?: string, result?: unknown): void {
    const info: ErrorInfo = toErrorInfo(err);
    if (info.code === 'internal') this.deps.logger.error('websocket call failed', { err: (err as Error)?.stack ?? String(err) });
    this.send({ type: 'error', id, success: false, error: info, ...(requestId ? { request_id: requestId } : {}), ...(result !== undefined ? { result } : {}) } as WsServerMessage);
  }

  private async onMessage(data: RawData, isBinary: boolean): Promise<void> {
    const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
    if (buf.length > this.deps.limits.maxMessageBytes) {
      return this.error(null, new OrchestratorError('payload_too_large', `The message is ${buf.length} bytes; the limit is ${this.deps.limits.maxMessageBytes}`));
    }
    let raw: unknown;
    try {
      checkJsonDepth(buf);
    } catch (err) {
      return this.error(null, err);
    }
    try {
      if (isBinary) throw new Error('binary');
      raw = JSON.parse(buf.toString('utf8'));
    } catch {
      return this.error(null, new OrchestratorError('invalid_arguments', 'The message is not valid JSON text; send {"id": …, "method": "<tool>", "params": {…}}'));
    }
    const idGuess = (raw as { id?: unknown })?.id;
    const echoId = typeof idGuess === 'string' || typeof idGuess === 'number' ? idGuess : null;
    const parsed = WsRequestSchema.safeParse(raw);
    if (!parsed.success) return this.error(echoId, describeZodError(parsed.error));
    const { method, params = {} } = parsed.data;
    const id = parsed.data.id ?? null;

    if (method === 'auth') return this.auth(id, params);
    if (!this.caller) {
      this.error(id, new OrchestratorError('unauthorized', 'Authenticate first: send {"method": "auth", "params": {"key": "<key>"}} or an Authorization header'));
      return this.close(WS_CLOSE.unauthorized, 'unauthorized');
    }
    if (this.inFlight >= this.deps.limits.maxInFlight) {
      return this.error(id, new OrchestratorError('rate_limited', `Too many calls in flight on this socket (limit ${this.deps.limits.maxInFlight}); wait for replies`, { retryable: true }));
    }
    this.inFlight++;
    try {
      // Looked up again on every call: a key revoked or rotated while the socket is open stops here.
      const caller = await this.deps.orchestrator.authenticate(this.presented, false);
      if (!caller) {
        this.error(id, new OrchestratorError('unauthorized', 'This key was revoked or rotated'));
        return this.close(WS_CLOSE.unauthorized, 'unauthorized');
      }
      this.caller = caller;
      if (Object.hasOwn(WS_CONTROL_PARAMS, method)) await this.control(id, method as WsControlMethod, params, caller);
      else await this.callTool(id, method, params, caller);
    } catch (err) {
      this.error(id, err);
    } finally {
      this.inFlight--;
    }
  }

  private async auth(id: WsCallId | null, params: Record<string, unknown>): Promise<void> {
    const p = WS_CONTROL_PARAMS.auth.safeParse(params);
    let caller: Caller | undefined;
    try {
      caller = p.success ? await this.deps.orchestrator.authenticate(p.data.key, false) : undefined;
    } catch (err) {
      return this.error(id, err);
    }
    if (!caller) {
      this.error(id, new OrchestratorError('unauthorized', 'Wrong or missing key'));
      return this.close(WS_CLOSE.unauthorized, 'unauthorized');
    }
    clearTimeout(this.authTimer);
    this.caller = caller;
    this.presented = p.data!.key;
    this.send({ type: 'result', id, success: true, result: { authenticated: true } });
  }

  private async callTool(id: WsCallId | null, method: string, params: Record<string, unknown>, caller: Caller): Promise<void> {
    // syncWaitMs 0: a model tool returns its request id at once; its events and output follow here.
    const result = await this.deps.orchestrator.callTool(method, params, caller, { syncWaitMs: 0 });
    switch (result.kind) {
      case 'running':
        this.send({ type: 'accepted', id, request_id: result.requestId });
        return this.watch(id, result.requestId, '0-0', 'call');
      case 'error':
        return this.error(id, result.error);
      case 'done': {
        const error = (result.structured as { error?: ErrorInfo }).error;
        if (result.failed) return this.error(id, error ?? new OrchestratorError('internal', result.text), result.requestId, error ? undefined : result.structured);
        return this.send({ type: 'result', id, success: true, ...(result.requestId ? { request_id: result.requestId } : {}), result: result.structured });
      }
    }
  }

  private async control(id: WsCallId | null, method: WsControlMethod, params: Record<string, unknown>, caller: Caller): Promise<void> {
    const parsed = WS_CONTROL_PARAMS[method].safeParse(params);
    if (!parsed.success) throw describeZodError(parsed.error);
    const o = this.deps.orchestrator;
    // The union of the control methods' parameters; each case reads only its own.
    const p = parsed.data as { request_id: string; after?: string; limit?: number };
    switch (method) {
      case 'subscribe': {
        // An id Redis would refuse is this caller's error, answered here, never the shared reader's.
        const after = streamIdOrThrow(p.after ?? '0-0', 'after');
        const record = await o.ownRequest(p.request_id, caller);
        this.send({ type: 'subscribed', id, request_id: p.request_id });
        this.watch(id, p.request_id, after, 'subscription', record);
        return;
      }
      case 'unsubscribe': {
        let n = 0;
        for (const w of [...this.watches]) {
          if (w.requestId !== p.request_id) continue;
          w.sub.close();
          this.watches.delete(w);
          n++;
        }
        this.deps.onSubscriptionCount?.(-n);
        return this.send({ type: 'result', id, success: true, request_id: p.request_id, result: { unsubscribed: n } });
      }
      case 'cancel':
        return this.send({ type: 'result', id, success: true, request_id: p.request_id, result: await o.cancel(p.request_id, caller) });
      case 'get_request':
        return this.send({ type: 'result', id, success: true, request_id: p.request_id, result: await o.getRequest(p.request_id, caller) });
      case 'requests':
        return this.send({ type: 'result', id, success: true, result: { requests: await o.listRequests(caller, p.limit) } });
      case 'ping':
        return this.send({ type: 'result', id, success: true, result: { pong: Date.now() } });
      default:
        throw new OrchestratorError('unknown_tool', `Unknown method "${String(method)}"`);
    }
  }

  /** Forwards a request's events after `after`, then its output when it is done. */
  private watch(id: WsCallId | null, requestId: string, after: string, kind: WatchKind, record?: RequestRecord): void {
    if (this.closed) return;
    const watch: Watch = {
      id,
      requestId,
      kind,
      // A subscription may be to a request that ended long ago: `follow` tells its end from the record.
      sub: this.deps.orchestrator.follow(
        requestId,
        after,
        (e) => this.forward(watch, e),
        (err) => {
          if (this.watches.delete(watch)) this.deps.onSubscriptionCount?.(-1);
          this.error(id, new OrchestratorError('not_found', `request_id: the events of ${requestId} cannot be read (${err.message.slice(0, 80)})`), requestId);
        },
        record,
      ),
    };
    this.watches.add(watch);
    this.deps.onSubscriptionCount?.(1);
  }

  private forward(w: Watch, e: StoredRequestEvent): void {
    const { id: eventId, ...event } = e;
    this.send({ type: 'event', id: w.id, request_id: w.requestId, event_id: eventId, event });
    if (e.type !== 'done') return;
    w.sub.close();
    if (this.watches.delete(w)) this.deps.onSubscriptionCount?.(-1);
    void this.finish(w).catch((err) => this.error(w.id, err, w.requestId));
  }

  private async finish(w: Watch): Promise<void> {
    const caller = this.caller!;
    const record = await this.deps.orchestrator.getRequest(w.requestId, caller);
    if (w.kind === 'subscription') return this.send({ type: 'result', id: w.id, success: true, request_id: w.requestId, result: record });
    const output = record.output as ModelToolOutput | undefined;
    if (record.status === 'completed' && output) return this.send({ type: 'result', id: w.id, success: true, request_id: w.requestId, result: output });
    this.error(w.id, record.error ?? output?.error ?? new OrchestratorError('internal', `The request ended as ${record.status}`), w.requestId, output);
  }
}
