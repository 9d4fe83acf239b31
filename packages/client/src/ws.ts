import WebSocket from 'ws';
import type { CancelOutput, JobResultOutput, RequestEvent, RequestSummary, ToolArgs, ToolName, ToolOutput, WsServerMessage } from '@orch/contracts';
import { OrchestratorClientError, outputOf } from './errors';

export interface WsClientOptions {
  /** e.g. ws://127.0.0.1:8765 */
  url: string;
  apiKey?: string;
  /** `header` (default, Node) or `message`: authenticate with a first `auth` message, as browsers must. */
  authVia?: 'header' | 'message';
  /** Reconnect after an unexpected close and resubscribe every followed request from its last event (default true). */
  reconnect?: boolean;
  maxReconnectAttempts?: number;
  /**
   * Told when a request followed before a dropped connection is followed again: the server has
   * confirmed the new subscription, and events after the last one seen come next.
   */
  onResume?: (requestId: string) => void;
  /** How long connect() waits for the welcome (and auth) message. */
  connectTimeoutMs?: number;
}

export type Welcome = Extract<WsServerMessage, { type: 'welcome' }>;
export type EventListener = (event: RequestEvent, eventId: string, requestId: string) => void;

interface Pending {
  method: string;
  /** `call`: a tool call (its output on success); `subscribe`: a request record; else the reply. */
  kind: 'call' | 'subscribe' | 'control';
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
  onEvent: EventListener | undefined;
  requestId?: string;
  lastEventId?: string;
  /** Resubscribed after a reconnect; its `subscribed` reply is awaited. */
  resuming?: boolean;
}

/**
 * Typed client for the WebSocket bridge. Many calls share one socket, matched by id. A call or a
 * subscription that has its request id survives a dropped connection: the client reconnects and
 * resubscribes from the last event it saw, so no event is lost or repeated. (A request that ended
 * while the client was away has had its stream compacted: it is told the end and the output, and
 * partial text it missed is in that output.)
 */
export class WsClient {
  private ws: WebSocket | undefined;
  private readonly pending = new Map<string, Pending>();
  private seq = 0;
  private closedByUser = false;
  private attempts = 0;
  private connecting: Promise<Welcome> | undefined;
  /** The server's last welcome: tools, models, limits. */
  welcome: Welcome | undefined;
  /** Times the socket was re-established. */
  reconnects = 0;

  constructor(private readonly opts: WsClientOptions) {}

  /** Opens the socket; resolves with the welcome once authenticated. */
  connect(): Promise<Welcome> {
    this.closedByUser = false;
    this.connecting ??= this.open().finally(() => (this.connecting = undefined));
    return this.connecting;
  }

  private open(): Promise<Welcome> {
    return new Promise<Welcome>((resolve, reject) => {
      const headers = this.opts.apiKey && this.opts.authVia !== 'message' ? { Authorization: `Bearer ${this.opts.apiKey}` } : undefined;
      const ws = new WebSocket(this.opts.url, { ...(headers ? { headers } : {}), perMessageDeflate: false });
      this.ws = ws;
      const timer = setTimeout(() => {
        ws.terminate();
        reject(new OrchestratorClientError({ code: 'timeout', message: `no welcome from ${this.opts.url}` }));
      }, this.opts.connectTimeoutMs ?? 10_000);
      let ready = false;
      ws.on('message', (data) => {
        let msg: WsServerMessage;
        try {
          msg = JSON.parse(String(data)) as WsServerMessage;
        } catch {
          return;
        }
        if (!ready && msg.type === 'welcome') {
          this.welcome = msg;
          if (msg.authenticated || !this.opts.apiKey) return finish();
          ws.send(JSON.stringify({ id: '__auth', method: 'auth', params: { key: this.opts.apiKey } }));
          return;
        }
        if (!ready && msg.type !== 'welcome' && msg.id === '__auth') {
          if (msg.type === 'result') return finish();
          clearTimeout(timer);
          return reject(new OrchestratorClientError(msg.type === 'error' ? msg.error : { code: 'unauthorized', message: 'auth failed' }));
        }
        this.onMessage(msg);
      });
      const finish = () => {
        ready = true;
        clearTimeout(timer);
        this.attempts = 0;
        this.resubscribe();
        resolve(this.welcome!);
      };
      ws.on('error', (err) => {
        if (!ready) {
          clearTimeout(timer);
          reject(new OrchestratorClientError({ code: 'connection_failed', message: err.message }));
        }
      });
      ws.on('close', (code, reason) => {
        clearTimeout(timer);
        if (!ready) reject(new OrchestratorClientError({ code: code === 4401 ? 'unauthorized' : 'connection_failed', message: `closed ${code} ${String(reason)}` }));
        if (this.ws === ws) this.onClose(code, String(reason));
      });
    });
  }

  private onClose(code: number, reason: string): void {
    this.ws = undefined;
    const resumable = (p: Pending) => p.requestId !== undefined && p.kind !== 'control';
    // Calls that never got a request id cannot be resumed.
    for (const [id, p] of this.pending) {
      if (resumable(p) && this.opts.reconnect !== false && !this.closedByUser) continue;
      this.pending.delete(id);
      p.reject(new OrchestratorClientError({ code: 'connection_lost', message: `socket closed (${code} ${reason})`, retryable: true }, p.requestId ? { requestId: p.requestId } : {}));
    }
    if (this.closedByUser || this.opts.reconnect === false || this.pending.size === 0) return;
    if (this.attempts >= (this.opts.maxReconnectAttempts ?? 20)) {
      for (const [id, p] of this.pending) {
        this.pending.delete(id);
        p.reject(new OrchestratorClientError({ code: 'connection_lost', message: 'gave up reconnecting', retryable: true }, p.requestId ? { requestId: p.requestId } : {}));
      }
      return;
    }
    const delay = Math.min(5000, 100 * 2 ** this.attempts++);
    setTimeout(() => {
      this.reconnects++;
      this.connect().catch(() => this.onClose(1006, 'reconnect failed'));
    }, delay).unref();
  }

  /** After a reconnect: follow every request we were following from its last event. */
  private resubscribe(): void {
    for (const [id, p] of this.pending) {
      if (!p.requestId || p.kind === 'control') continue;
      p.resuming = true;
      this.raw({ id, method: 'subscribe', params: { request_id: p.requestId, ...(p.lastEventId ? { after: p.lastEventId } : {}) } });
    }
  }

  private onMessage(msg: WsServerMessage): void {
    if (msg.type === 'welcome' || msg.id === null) return;
    const p = this.pending.get(String(msg.id));
    if (!p) return;
    switch (msg.type) {
      case 'accepted':
      case 'subscribed':
        p.requestId = msg.request_id;
        if (p.resuming) {
          p.resuming = false;
          this.opts.onResume?.(msg.request_id);
        }
        return;
      case 'event':
        p.lastEventId = msg.event_id;
        p.onEvent?.(msg.event, msg.event_id, msg.request_id);
        return;
      case 'result': {
        this.pending.delete(String(msg.id));
        // A resumed tool call is answered as a subscription: unwrap the record's output.
        const r = msg.result as JobResultOutput;
        if (p.kind === 'call' && r && typeof r === 'object' && 'partial' in r && 'created_at' in r) {
          try {
            return p.resolve(outputOf(r));
          } catch (err) {
            return p.reject(err as Error);
          }
        }
        return p.resolve(msg.result);
      }
      case 'error':
        this.pending.delete(String(msg.id));
        return p.reject(new OrchestratorClientError(msg.error, { ...(msg.request_id ? { requestId: msg.request_id } : {}), result: msg.result }));
    }
  }

  private raw(msg: { id: string; method: string; params: Record<string, unknown> }): void {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) throw new OrchestratorClientError({ code: 'not_connected', message: 'call connect() first' });
    this.ws.send(JSON.stringify(msg));
  }

  private request<T>(method: string, params: Record<string, unknown>, kind: Pending['kind'], onEvent?: EventListener): Promise<T> {
    const id = `c${++this.seq}`;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { method, kind, resolve: resolve as (v: unknown) => void, reject, onEvent });
      try {
        this.raw({ id, method, params });
      } catch (err) {
        this.pending.delete(id);
        reject(err as Error);
      }
    });
  }

  /** Runs a tool; `onEvent` sees its progress and partial text. Resolves with the tool's output. */
  call<T extends ToolName>(tool: T, args: ToolArgs<T> = {} as ToolArgs<T>, opts: { onEvent?: EventListener } = {}): Promise<ToolOutput<T>> {
    return this.request<ToolOutput<T>>(tool, args as Record<string, unknown>, 'call', opts.onEvent);
  }

  /** Follows a request started anywhere until it ends; resolves with its record (status, output). */
  subscribe(requestId: string, opts: { after?: string; onEvent?: EventListener } = {}): Promise<JobResultOutput> {
    return this.request<JobResultOutput>('subscribe', { request_id: requestId, ...(opts.after ? { after: opts.after } : {}) }, 'subscribe', opts.onEvent);
  }

  /** Stops following a request (its calls' promises reject with `unsubscribed`). */
  async unsubscribe(requestId: string): Promise<void> {
    for (const [id, p] of this.pending) {
      if (p.requestId !== requestId || p.kind === 'control') continue;
      this.pending.delete(id);
      p.reject(new OrchestratorClientError({ code: 'unsubscribed', message: `stopped following ${requestId}` }, { requestId }));
    }
    await this.request('unsubscribe', { request_id: requestId }, 'control');
  }

  cancel(requestId: string): Promise<CancelOutput> {
    return this.request('cancel', { request_id: requestId }, 'control');
  }

  getRequest(requestId: string): Promise<JobResultOutput> {
    return this.request('get_request', { request_id: requestId }, 'control');
  }

  async requests(limit = 20): Promise<RequestSummary[]> {
    return (await this.request<{ requests: RequestSummary[] }>('requests', { limit }, 'control')).requests;
  }

  /** Request ids of the calls and subscriptions in flight, with their last event id. */
  following(): Array<{ requestId: string; lastEventId: string | undefined }> {
    return [...this.pending.values()].filter((p) => p.requestId).map((p) => ({ requestId: p.requestId!, lastEventId: p.lastEventId }));
  }

  /** Drops the socket as a network failure would (for tests and demos of resuming). */
  dropConnection(): void {
    this.ws?.terminate();
  }

  close(): void {
    this.closedByUser = true;
    this.ws?.close(1000, 'client closed');
  }
}
