import axios, { type AxiosInstance, type AxiosResponse } from 'axios';
import type { Readable } from 'node:stream';
import type { CancelOutput, ErrorInfo, JobResultOutput, RequestEvent, RequestSummary, SpendReport, ToolArgs, ToolName, ToolOutput } from '@orch/contracts';
import { OrchestratorClientError, outputOf } from './errors';
import { parseSse } from './sse';

export interface RestClientOptions {
  /** e.g. http://127.0.0.1:5050 */
  baseUrl: string;
  apiKey?: string;
  /** Per HTTP request; a synchronous call waits at most the server's sync window anyway. */
  timeoutMs?: number;
}

export interface ToolInfo {
  name: ToolName;
  title: string;
  description: string;
  input_schema: Record<string, unknown>;
}

export interface FollowedEvent {
  /** Stream id: pass it as `after` to resume. */
  id: string;
  event: RequestEvent;
}

interface Accepted {
  success: true;
  request_id: string;
  status: 'running';
}

/**
 * Typed client for the REST bridge. `call` runs a tool and returns its structured output (following
 * the request when the server answers 202); `start` + `events` + `result` is the asynchronous path.
 */
export class RestClient {
  private readonly http: AxiosInstance;

  constructor(opts: RestClientOptions) {
    this.http = axios.create({
      baseURL: opts.baseUrl.replace(/\/$/, ''),
      timeout: opts.timeoutMs ?? 120_000,
      headers: opts.apiKey ? { Authorization: `Bearer ${opts.apiKey}` } : {},
      validateStatus: () => true,
      // Model output can be long; bodies are bounded by the server.
      maxContentLength: 64 * 1024 * 1024,
    });
  }

  /** Runs a tool and returns its output; a call still running after the sync window is followed to its end. */
  async call<T extends ToolName>(tool: T, args: ToolArgs<T> = {} as ToolArgs<T>, opts: { timeoutMs?: number } = {}): Promise<ToolOutput<T>> {
    const res = await this.http.post(`/mcp/${encodeURIComponent(tool)}`, args);
    if (res.status === 202) return (await this.result((res.data as Accepted).request_id, opts)) as ToolOutput<T>;
    return this.unwrap<ToolOutput<T>>(res);
  }

  /** Starts a tool call without waiting: its request id (non-model tools just run; their id is absent). */
  async start<T extends ToolName>(tool: T, args: ToolArgs<T> = {} as ToolArgs<T>): Promise<{ requestId: string }> {
    const res = await this.http.post(`/mcp/${encodeURIComponent(tool)}`, args, { params: { wait: 'false' } });
    if (res.status !== 202) {
      this.unwrap(res);
      throw new OrchestratorClientError({ code: 'invalid_arguments', message: `${tool} finished at once; use call() for it` });
    }
    return { requestId: (res.data as Accepted).request_id };
  }

  /** Status, partial text and (when ended) output of a request; waits up to `waitSeconds` (≤ 50) for its end. */
  async getRequest(requestId: string, waitSeconds = 0): Promise<JobResultOutput> {
    return this.unwrap<JobResultOutput>(await this.http.get(`/requests/${encodeURIComponent(requestId)}`, { params: { wait: waitSeconds }, timeout: (waitSeconds + 30) * 1000 }));
  }

  /** Waits for a request to end and returns its tool output; throws its error if it failed. */
  async result(requestId: string, opts: { timeoutMs?: number } = {}): Promise<unknown> {
    const deadline = Date.now() + (opts.timeoutMs ?? 3_600_000);
    for (;;) {
      const left = Math.ceil((deadline - Date.now()) / 1000);
      if (left <= 0) throw new OrchestratorClientError({ code: 'timeout', message: `request ${requestId} still running` }, { requestId });
      const r = await this.getRequest(requestId, Math.min(50, left));
      if (r.status !== 'running') return outputOf(r);
    }
  }

  /**
   * The request's events as they happen (SSE), from after `after` (an event id) or from the start;
   * ends after the `done` event. Resume after a disconnect with the last id you saw.
   */
  async *events(requestId: string, opts: { after?: string; signal?: AbortSignal } = {}): AsyncGenerator<FollowedEvent> {
    const res = await this.http.get(`/requests/${encodeURIComponent(requestId)}/events`, {
      responseType: 'stream',
      timeout: 0,
      headers: { Accept: 'text/event-stream', ...(opts.after ? { 'Last-Event-ID': opts.after } : {}) },
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
    const body = res.data as Readable;
    if (res.status !== 200) {
      let text = '';
      for await (const c of body) text += String(c);
      this.unwrap({ ...res, data: JSON.parse(text) as unknown });
    }
    try {
      for await (const m of parseSse(body)) {
        const event = JSON.parse(m.data) as RequestEvent;
        yield { id: m.id, event };
        if (event.type === 'done') return;
      }
    } finally {
      body.destroy();
    }
  }

  async cancel(requestId: string): Promise<CancelOutput> {
    return this.unwrap(await this.http.delete(`/requests/${encodeURIComponent(requestId)}`));
  }

  /** Today's spend; `by_request` is one page (pass `by_request_cursor` back as `cursor` for the next). */
  async spend(page: { cursor?: string; limit?: number } = {}): Promise<SpendReport> {
    return this.unwrap<SpendReport>(await this.http.get('/spend', { params: page }));
  }

  async requests(limit = 20): Promise<RequestSummary[]> {
    return (await this.unwrap<{ requests: RequestSummary[] }>(await this.http.get('/requests', { params: { limit } }))).requests;
  }

  /** `GET /tools` answers `{success, tools}` (the seed's shape), not `{success, result}`. */
  async tools(): Promise<ToolInfo[]> {
    const res = await this.http.get('/tools');
    if (res.status === 200 && res.data?.success) return res.data.tools as ToolInfo[];
    return this.unwrap(res);
  }

  private unwrap<T>(res: Pick<AxiosResponse, 'status' | 'data'>): T {
    const body = res.data as { success?: boolean; result?: unknown; error?: ErrorInfo } | undefined;
    if (res.status < 300 && body?.success) return body.result as T;
    const error = body?.error ?? { code: 'internal', message: `HTTP ${res.status}`, retryable: res.status >= 500 };
    const result = body?.result as { request_id?: string } | undefined;
    throw new OrchestratorClientError(error, { status: res.status, ...(result?.request_id ? { requestId: result.request_id } : {}), result });
  }
}
